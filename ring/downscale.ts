/**
 * Scale-down as Tempo does it (tempo-behaviour.md §4.7), as ring transactions the lifecycler
 * runs; the HTTP endpoints (`/live-store/prepare-partition-downscale`, `/prepare-downscale`) map
 * `DownscaleConflictError` to 409.
 *
 * 1. prepare-partition-downscale (POST): the node's partitions become `inactive`: distributors
 *    stop writing to them, queries still read them. Refused for a `pending` partition (the revert
 *    target would be ambiguous); an `inactive` one is left as it is. DELETE reverts
 *    `inactive → active` (never to pending, dskit#509).
 * 2. prepare-downscale (POST, lifecycler): requires every partition of the node to be inactive,
 *    then makes the next stop remove the node's ownership. Once the last owner is gone, any
 *    node's reconcile deletes the partition after `delete_inactive_partition_after`.
 */
import { ConflictError } from '../common/errors.ts'
import { setPartitionState } from './edits.ts'
import type { RingTx } from './gossip-tx.ts'
import type { RingState } from './model.ts'
import { getPartition } from './read.ts'
import type { PartitionState } from './states.ts'

/** The request conflicts with a partition's state (HTTP 409 in Tempo). */
/** Answered 409, as Tempo's prepare-partition-downscale does (code `conflict`, see common/errors.ts). */
export class DownscaleConflictError extends ConflictError {}

export interface PartitionDownscaleStatus {
  readonly partition: number
  /** Undefined when the partition does not exist (yet) in the local view. */
  readonly state: PartitionState | undefined
  /** Unix seconds of the switch to inactive, or 0 when the partition is not inactive. */
  readonly timestamp: number
}

export function downscaleStatus (state: RingState, partitions: readonly number[]): PartitionDownscaleStatus[] {
  return partitions.map((partition) => {
    const p = getPartition(state, partition)
    return { partition, state: p?.state, timestamp: p?.state === 'inactive' ? Math.floor(p.stateTs.wall / 1000) : 0 }
  })
}

/** POST prepare-partition-downscale: every partition given → inactive (all or nothing). */
export function inactivatePartitions (tx: RingTx, partitions: readonly number[]): void {
  for (const id of partitions) {
    const p = getPartition(tx.state, id)
    if (p === undefined) throw new DownscaleConflictError(`partition ${id} does not exist`)
    if (p.state === 'pending') throw new DownscaleConflictError(`partition ${id} is pending: it cannot be prepared for downscale`)
  }
  for (const id of partitions) {
    if (getPartition(tx.state, id)?.state === 'active') tx.apply((s, at) => setPartitionState(s, at, id, 'inactive'))
  }
}

/** DELETE prepare-partition-downscale: every inactive partition given → active again. */
export function reactivatePartitions (tx: RingTx, partitions: readonly number[]): void {
  for (const id of partitions) {
    if (getPartition(tx.state, id)?.state === 'inactive') tx.apply((s, at) => setPartitionState(s, at, id, 'active'))
  }
}

/** POST prepare-downscale: refused unless every partition given is inactive. */
export function checkReadyForDownscale (state: RingState, partitions: readonly number[]): void {
  for (const id of partitions) {
    const p = getPartition(state, id)
    if (p !== undefined && p.state !== 'inactive') throw new DownscaleConflictError(`partition ${id} is ${p.state}, not inactive: prepare the partition downscale first`)
  }
}
