/**
 * A ring transaction: several local edits applied as one step of the replica's serial queue and
 * published as one delta. Each edit gets a fresh HLC stamp (strictly after everything the
 * replica has seen, so it beats the registers it writes). An edit that throws leaves the
 * transaction as it was before that edit; the caller decides whether to go on.
 */
import { emptyRing, isEmptyRing, merge } from './model.ts'
import type { MergeResult, RingState } from './model.ts'
import type { Stamp } from './register.ts'

export type RingEdit = (state: RingState, at: Stamp) => MergeResult

export interface RingTx {
  /** The state with every edit applied so far. */
  readonly state: RingState
  /** This node's id (the writer of every edit). */
  readonly nodeId: string
  /** Applies one edit (edits.ts functions fit); true when it changed something. */
  apply (edit: RingEdit): boolean
}

export class Tx implements RingTx {
  state: RingState
  delta: RingState = emptyRing()
  readonly nodeId: string
  readonly #stamp: () => Stamp

  constructor (state: RingState, nodeId: string, stamp: () => Stamp) {
    this.state = state
    this.nodeId = nodeId
    this.#stamp = stamp
  }

  apply (edit: RingEdit): boolean {
    const r = edit(this.state, this.#stamp())
    if (isEmptyRing(r.delta)) return false
    this.state = r.state
    // A later edit of the same entry beats the earlier one, so merging keeps the newest value.
    this.delta = merge(this.delta, r.delta).state
    return true
  }
}
