/**
 * Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014) over an injected
 * `Clock`. Every ring register is stamped with one of these timestamps (ring-crdt.md §7).
 *
 * A timestamp is `{ wall, logical }`: `wall` is milliseconds since the Unix epoch, `logical`
 * counts events within one `wall` millisecond. Timestamps are totally ordered by `(wall,
 * logical)` (`compareHlc`).
 *
 * Laws kept by `HybridClock` (checked in hlc.test.ts):
 * - Monotonic: every `now()` and `update()` returns a timestamp strictly greater than every
 *   timestamp it returned before, even when the physical clock stands still or steps back.
 * - Causal: after `update(remote)` succeeds, every later timestamp is strictly greater than
 *   `remote`, so an edit made after seeing a register always beats that register.
 * - Close to physical time: `wall` is the largest physical reading or accepted remote `wall`
 *   seen so far (plus at most one millisecond per 65 536 events in the same millisecond, see
 *   `maxLogical`), so it never runs ahead of real time by more than `maxSkewMs`.
 * - Bounded skew: a remote timestamp more than `maxSkewMs` ahead of the local physical clock is
 *   reported as a `ClockSkewError` and never adopted. Without this, one clock set to the year
 *   2100 would win every register forever (ring-crdt.md §5.3, attack 1).
 *
 * Encoding: `hlcToBigInt` packs a timestamp into 64 bits, `wall` in the high 48 bits (good until
 * the year 10889) and `logical` in the low 16, so the numeric order of the packed value equals
 * `compareHlc`. The gossip codec writes exactly these 8 bytes, big-endian.
 */
import type { Clock } from '../common/clock.ts'
import { ClockSkewError } from './errors.ts'

export interface Hlc {
  /** Milliseconds since the Unix epoch: an integer in [0, 2^48). */
  readonly wall: number
  /** Events within `wall`: an integer in [0, maxLogical]. */
  readonly logical: number
}

/** The largest logical counter; one more event in the same millisecond moves `wall` on by 1. */
export const maxLogical = 0xffff
/** The largest `wall` the 48-bit encoding holds. */
export const maxWall = 2 ** 48 - 1
/** How far ahead of the local clock a remote timestamp may be (`max_clock_skew`, 30s). */
export const defaultMaxClockSkewMs = 30_000
/** The smallest timestamp: below everything any clock issues. */
export const zeroHlc: Hlc = Object.freeze({ wall: 0, logical: 0 })

export function hlc (wall: number, logical = 0): Hlc {
  return { wall, logical }
}

/** Total order on timestamps: negative when `a` is earlier, 0 when equal, positive when later. */
export function compareHlc (a: Hlc, b: Hlc): number {
  return a.wall !== b.wall ? (a.wall < b.wall ? -1 : 1) : a.logical !== b.logical ? (a.logical < b.logical ? -1 : 1) : 0
}

export function maxHlc (a: Hlc, b: Hlc): Hlc {
  return compareHlc(a, b) >= 0 ? a : b
}

/** True when both parts are integers inside the ranges the encoding holds. */
export function isValidHlc (h: Hlc): boolean {
  return Number.isSafeInteger(h.wall) && h.wall >= 0 && h.wall <= maxWall &&
    Number.isSafeInteger(h.logical) && h.logical >= 0 && h.logical <= maxLogical
}

/** Packs a timestamp into 64 bits, order-preserving (see the file comment). */
export function hlcToBigInt (h: Hlc): bigint {
  return (BigInt(h.wall) << 16n) | BigInt(h.logical)
}

export function hlcFromBigInt (v: bigint): Hlc {
  return { wall: Number(v >> 16n), logical: Number(v & 0xffffn) }
}

/** `wall.logical`, e.g. `1700000000000.3`: for logs and status pages. */
export function formatHlc (h: Hlc): string {
  return `${h.wall}.${h.logical}`
}

/**
 * The skew check on its own, for gossip validators that must reject a message without touching
 * a clock: the error when `remote` is more than `maxSkewMs` ahead of `physicalNow`, else
 * undefined.
 */
export function checkSkew (remote: Hlc, physicalNow: number, maxSkewMs: number): ClockSkewError | undefined {
  return remote.wall > physicalNow + maxSkewMs ? new ClockSkewError(remote, physicalNow, maxSkewMs) : undefined
}

export interface HybridClockOptions {
  /** See `defaultMaxClockSkewMs`. */
  maxSkewMs?: number
  /** The last timestamp issued before a restart, if known: the clock starts after it. */
  after?: Hlc
}

/** One per node. Not shared between nodes: in the simulator each node gets its own. */
export class HybridClock {
  readonly maxSkewMs: number
  readonly #clock: Clock
  #last: Hlc

  constructor (clock: Clock, options: HybridClockOptions = {}) {
    this.#clock = clock
    this.maxSkewMs = options.maxSkewMs ?? defaultMaxClockSkewMs
    this.#last = options.after ?? zeroHlc
  }

  /** The last timestamp issued (or adopted); `zeroHlc` before the first. */
  get last (): Hlc { return this.#last }

  /** A new timestamp for a local event: strictly after every timestamp issued or observed. */
  now (): Hlc {
    const pt = Math.floor(this.#clock.now())
    this.#last = pt > this.#last.wall ? hlc(pt) : tick(this.#last)
    return this.#last
  }

  /**
   * True when the last timestamp is more than `maxSkewMs` ahead of the physical clock: this
   * node's clock ran ahead (a jump) and has since been set back. Everything stamped meanwhile is
   * rejected by every peer (`checkSkew`), and since an HLC never runs backwards, so would every
   * later stamp — until `rewind`.
   */
  aheadOfPhysical (): boolean {
    return this.#last.wall > Math.floor(this.#clock.now()) + this.maxSkewMs
  }

  /**
   * Sets the clock back to the physical time, or to `floor` when that is later (the newest stamp
   * the caller keeps). Only safe for a caller that also forgets whatever was stamped beyond it
   * (ring/gossip.ts `RingReplica` drops those registers and pulls the peers' state again):
   * otherwise its own old future stamps would beat its new ones.
   */
  rewind (floor: Hlc = zeroHlc): Hlc {
    const pt = hlc(Math.floor(this.#clock.now()))
    this.#last = compareHlc(floor, pt) > 0 ? floor : pt
    return this.#last
  }

  /**
   * Observes a remote timestamp (a receive event) and returns a new local timestamp strictly
   * after both it and everything issued before. Throws `ClockSkewError`, leaving the clock
   * unchanged, when `remote` is more than `maxSkewMs` ahead of the physical clock.
   */
  update (remote: Hlc): Hlc {
    const pt = Math.floor(this.#clock.now())
    const err = checkSkew(remote, pt, this.maxSkewMs)
    if (err !== undefined) throw err
    const last = this.#last
    const wall = Math.max(pt, last.wall, remote.wall)
    let next: Hlc
    if (wall === last.wall && wall === remote.wall) next = tick({ wall, logical: Math.max(last.logical, remote.logical) })
    else if (wall === last.wall) next = tick(last)
    else if (wall === remote.wall) next = tick(remote)
    else next = hlc(wall)
    this.#last = next
    return next
  }
}

/** The next timestamp after `h` in the same millisecond, or the next millisecond on overflow. */
function tick (h: Hlc): Hlc {
  return h.logical < maxLogical ? hlc(h.wall, h.logical + 1) : hlc(h.wall + 1, 0)
}
