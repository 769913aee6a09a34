import type { Clock, Timer } from '../../common/clock.ts'

interface Scheduled { at: number, seq: number, fn: () => void, every?: number, cancelled: boolean }

/**
 * A manual clock for deterministic tests: time moves only through `advance`, which fires due
 * timers in time order (ties in scheduling order).
 */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  #timers: Scheduled[] = []

  constructor (start = 1_700_000_000_000) { this.#now = start }

  now (): number { return this.#now }

  setTimeout (fn: () => void, ms: number): Timer { return this.#schedule(fn, ms) }

  setInterval (fn: () => void, ms: number): Timer { return this.#schedule(fn, ms, Math.max(1, ms)) }

  sleep (ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) { reject(signal.reason); return }
      const t = this.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
      const onAbort = (): void => { t.cancel(); reject(signal?.reason) }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance (ms: number): void {
    const target = this.#now + ms
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (due === undefined) break
      this.#now = Math.max(this.#now, due.at)
      if (due.every !== undefined) due.at += due.every
      else due.cancelled = true
      due.fn()
    }
    this.#timers = this.#timers.filter((t) => !t.cancelled)
    this.#now = target
  }

  /** Number of timers still pending (useful to assert that stop() cleaned up). */
  get pendingTimers (): number { return this.#timers.filter((t) => !t.cancelled).length }

  #schedule (fn: () => void, ms: number, every?: number): Timer {
    const entry: Scheduled = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    if (every !== undefined) entry.every = every
    this.#timers.push(entry)
    return { cancel: () => { entry.cancelled = true } }
  }
}
