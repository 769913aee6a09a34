/**
 * Time is injected everywhere (DESIGN.md "Inject time, randomness and I/O"): production code gets
 * `systemClock()` from node/, tests and the simulator get a manual clock (test/fakes/clock.ts),
 * so timeouts, expiries and retention can be driven deterministically.
 */
export interface Timer {
  /** Cancels the timer; calling it twice, or after it fired, is harmless. */
  cancel(): void
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch. */
  now(): number
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): Timer
  /** Runs `fn` every `ms` milliseconds until cancelled. */
  setInterval(fn: () => void, ms: number): Timer
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}
