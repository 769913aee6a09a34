/**
 * Partition, owner and member states, and the partition lifecycle as data (code-style habit 5):
 * the status page renders `partitionTransitions` and the docs below, and the model checks every
 * local edit against the same table.
 *
 * The table is checked only when a node *writes* (model.ts edits). Gossip merges never check
 * it: a merge must accept whatever the last writer wrote, or replicas would disagree about which
 * writes they refused (ring-crdt.md §2.2, "merge does not enforce the transition rules").
 */

export const partitionStates = ['pending', 'active', 'inactive'] as const
export type PartitionState = typeof partitionStates[number]

/**
 * What the partition-state register holds: a live state, or `deleted`, the tombstone that
 * readers never see and that is garbage-collected after the horizon (model.ts `gcTombstones`).
 */
export type PartitionRegisterState = PartitionState | 'deleted'

export const partitionStateDocs: Readonly<Record<PartitionRegisterState, string>> = {
  pending: 'created; owners may register, but nothing writes to it or reads from it yet',
  active: 'read-write: distributors route traces to it and queries read it',
  inactive: 'read-only: distributors skip it, queries still read it; deleted later once it has no owners',
  deleted: 'tombstone: never shown to readers, dropped after the tombstone horizon',
}

/**
 * Allowed state changes (dskit `allowedPartitionStateChanges`). `inactive → pending` is
 * deliberately absent (dskit#509): another node may already have made the partition active
 * again, and a pending partition is not queried, so reads would lose it.
 */
export const partitionTransitions: Readonly<Record<PartitionState, readonly PartitionState[]>> = {
  pending: ['active', 'inactive'],
  active: ['inactive'],
  inactive: ['active'],
}

/** A partition is created only as `pending`, and deleted only from `inactive` (and ownerless). */
export const initialPartitionState: PartitionState = 'pending'
export const deletablePartitionStates: readonly PartitionState[] = ['inactive']

/** True when the table allows `from → to`; a no-op (`from === to`) is not a transition. */
export function canTransition (from: PartitionState, to: PartitionState): boolean {
  return partitionTransitions[from].includes(to)
}

export function isPartitionState (s: string): s is PartitionState {
  return (partitionStates as readonly string[]).includes(s)
}

export const ownerStates = ['active', 'deleted'] as const
export type OwnerState = typeof ownerStates[number]

export const ownerStateDocs: Readonly<Record<OwnerState, string>> = {
  active: 'the node owns (consumes and serves) the partition in its zone',
  deleted: 'tombstone: the ownership was removed; dropped after the tombstone horizon',
}

export const memberStates = ['active', 'left'] as const
export type MemberState = typeof memberStates[number]

export const memberStateDocs: Readonly<Record<MemberState, string>> = {
  active: 'the node is part of the cluster; it is healthy while its heartbeat is fresh',
  left: 'tombstone: the node left the cluster; dropped after the tombstone horizon',
}
