import type { Clock, Timer } from '../../common/clock.ts'

/**
 * The one timer that ends a group's join phase (Kafka's DelayedJoin / InitialDelayedJoin in the
 * join purgatory): either the rebalance timeout, or, for a group that was Empty, the initial delay
 * that waits for more members, extended while new members keep arriving, up to the rebalance
 * timeout.
 */
export class JoinTimer {
  readonly #clock: Clock
  readonly #initialDelayMs: number
  #timer: Timer | null = null
  #initial: { remainingMs: number, newMemberAdded: boolean } | null = null

  constructor (clock: Clock, initialDelayMs: number) {
    this.#clock = clock
    this.#initialDelayMs = initialDelayMs
  }

  /** While true, the join phase must not complete early even if every member has joined. */
  get delaying (): boolean { return this.#initial !== null }

  startInitialDelay (rebalanceTimeoutMs: number, onDone: () => void): void {
    this.cancel()
    this.#initial = { remainingMs: Math.max(rebalanceTimeoutMs - this.#initialDelayMs, 0), newMemberAdded: false }
    this.#timer = this.#clock.setTimeout(() => { this.#initialDelayOver(onDone) }, this.#initialDelayMs)
  }

  startRebalanceTimeout (rebalanceTimeoutMs: number, onDone: () => void): void {
    this.cancel()
    this.#timer = this.#clock.setTimeout(() => { this.#timer = null; onDone() }, rebalanceTimeoutMs)
  }

  memberAdded (): void {
    if (this.#initial !== null) this.#initial.newMemberAdded = true
  }

  cancel (): void {
    this.#timer?.cancel()
    this.#timer = null
    this.#initial = null
  }

  #initialDelayOver (onDone: () => void): void {
    this.#timer = null
    const d = this.#initial
    if (d !== null && d.newMemberAdded && d.remainingMs > 0) {
      const delay = Math.min(this.#initialDelayMs, d.remainingMs)
      this.#initial = { remainingMs: Math.max(d.remainingMs - delay, 0), newMemberAdded: false }
      this.#timer = this.#clock.setTimeout(() => { this.#initialDelayOver(onDone) }, delay)
      return
    }
    this.#initial = null
    onDone()
  }
}
