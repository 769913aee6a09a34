/**
 * Keeps known members connected: after a member disconnects, dial it again with exponential
 * backoff (initial × 2^attempt, capped), until it is back, forgotten, or the transport stops.
 * libp2p does not do this for us (measurements.md pitfalls 4 and 6: bootstrap dials once, and
 * KEEP_ALIVE reconnection gives up after ~31 s and drops the tag). Timers run on the injected
 * clock; the optional `random` spreads retries (×0.5–1.0) so a restarted node is not hit by every
 * peer in the same millisecond.
 */
import type { Clock, Timer } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { Random } from '../../common/random.ts'

export interface RedialOptions {
  /** Delay before the first re-dial after a disconnect (default 250 ms). */
  initialDelayMs: number
  /** Cap of the exponential backoff (default 10 s). */
  maxDelayMs: number
}

export const defaultRedialOptions: RedialOptions = { initialDelayMs: 250, maxDelayMs: 10_000 }

interface Attempt {
  attempt: number
  timer?: Timer
  dialing?: AbortController
}

export class Redialer {
  readonly #clock: Clock
  readonly #options: RedialOptions
  readonly #dial: (peer: string, signal: AbortSignal) => Promise<void>
  readonly #logger: Logger
  readonly #random: Random | undefined
  readonly #peers = new Map<string, Attempt>()
  #stopped = false

  constructor (clock: Clock, options: RedialOptions, dial: (peer: string, signal: AbortSignal) => Promise<void>, logger: Logger, random?: Random) {
    this.#clock = clock
    this.#options = options
    this.#dial = dial
    this.#logger = logger
    this.#random = random
  }

  /** The delay before attempt number `attempt` (0-based), before jitter. */
  delay (attempt: number): number {
    return Math.min(this.#options.maxDelayMs, this.#options.initialDelayMs * 2 ** Math.min(attempt, 30))
  }

  /** A member went away: start re-dialling it (no-op if already doing so). */
  disconnected (peer: string): void {
    if (this.#stopped || this.#peers.has(peer)) return
    const entry: Attempt = { attempt: 0 }
    this.#peers.set(peer, entry)
    this.#schedule(peer, entry)
  }

  /** The member is connected again (or forgotten): stop re-dialling it. */
  connected (peer: string): void {
    const entry = this.#peers.get(peer)
    if (entry === undefined) return
    this.#peers.delete(peer)
    entry.timer?.cancel()
  }

  /** Peers currently being re-dialled. */
  pending (): string[] {
    return [...this.#peers.keys()]
  }

  stop (): void {
    this.#stopped = true
    for (const entry of this.#peers.values()) {
      entry.timer?.cancel()
      entry.dialing?.abort()
    }
    this.#peers.clear()
  }

  #schedule (peer: string, entry: Attempt): void {
    const base = this.delay(entry.attempt)
    const ms = this.#random === undefined ? base : Math.round(base * (0.5 + this.#random.next() / 2))
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined
      void this.#attempt(peer, entry)
    }, ms)
  }

  async #attempt (peer: string, entry: Attempt): Promise<void> {
    const dialing = new AbortController()
    entry.dialing = dialing
    try {
      await this.#dial(peer, dialing.signal)
      if (this.#peers.get(peer) === entry) this.#peers.delete(peer)
    } catch (err) {
      if (this.#stopped || this.#peers.get(peer) !== entry) return
      entry.attempt++
      this.#logger.debug({ peer, attempt: entry.attempt, err: (err as Error).message, nextInMs: this.delay(entry.attempt) }, 're-dial failed')
      this.#schedule(peer, entry)
    } finally {
      entry.dialing = undefined
    }
  }
}
