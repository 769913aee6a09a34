/**
 * Errors raised by the pure ring model. They extend the shared taxonomy (common/errors.ts) so
 * the node's one error → HTTP table can map them; none of them is retriable as-is, because
 * retrying the same edit with the same timestamp gives the same answer.
 */
import { LiveStoreError } from '../common/errors.ts'
import type { Hlc } from './hlc.ts'

/**
 * A remote hybrid-logical-clock timestamp lies more than `maxSkewMs` ahead of the local
 * physical clock. The timestamp is never adopted: adopting it would let one fast (or hostile)
 * clock win every last-writer-wins register from now on.
 */
export class ClockSkewError extends LiveStoreError {
  static override readonly code: string = 'clock_skew'

  constructor (readonly remote: Hlc, readonly physicalNow: number, readonly maxSkewMs: number) {
    super(`remote timestamp ${remote.wall}.${remote.logical} is ${remote.wall - physicalNow} ms ahead of the local clock (max skew ${maxSkewMs} ms)`)
  }
}

/** Why a local edit of the ring was refused (ring-crdt.md §7, "Local edit"). */
export type RingEditReason =
  /** The partition (or member) does not exist, or only as a tombstone. */
  | 'not_found'
  /** The partition-state transition is not in the table of states.ts. */
  | 'transition_not_allowed'
  /** The partition's state change is locked. */
  | 'locked'
  /** A partition may be deleted only while it has no live owner. */
  | 'has_owners'
  /**
   * The edit's timestamp does not beat the register it writes. The writer's HLC must have
   * observed every timestamp of the state it edits (hlc.update on each merge), so this means a
   * caller bug, never a race to paper over.
   */
  | 'stale_timestamp'
  /** An argument is out of range (negative partition id, empty owner id...). */
  | 'invalid'

export class RingEditError extends LiveStoreError {
  static override readonly code: string = 'ring_edit'

  constructor (readonly reason: RingEditReason, message: string) {
    super(message)
  }
}

/**
 * A gossip message that cannot be decoded or encoded: truncated, an unknown version, too large,
 * an out-of-range field, trailing bytes, keys out of canonical order. Decoders throw only this.
 */
export class RingCodecError extends LiveStoreError {
  static override readonly code: string = 'ring_codec'

  constructor (readonly field: string, message: string) {
    super(`ring codec: ${field}: ${message}`)
  }
}
