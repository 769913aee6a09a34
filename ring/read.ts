/**
 * Read helpers over a ring state. Readers never see tombstones: deleted partitions, deleted
 * owners and members that left are skipped everywhere here (dskit strips them on every read).
 * Results are sorted (partitions by id, owners by owner id, members by node id) so views and
 * status pages are stable.
 *
 * Ownership and liveness are separate (ring-crdt.md §3): an owner entry says a node owns a
 * partition; whether it can answer now comes from that node's member heartbeat.
 */
import type { Hlc } from './hlc.ts'
import type { RingState } from './model.ts'
import { compareStrings } from './register.ts'
import type { PartitionState } from './states.ts'

export interface PartitionInfo {
  readonly id: number
  readonly state: PartitionState
  /** When the current state was written (dskit `stateTimestamp`). */
  readonly stateTs: Hlc
  readonly stateWriter: string
  readonly locked: boolean
}

export interface OwnerInfo {
  readonly ownerId: string
  readonly partition: number
  readonly zone: string
  /** When the ownership was last changed; unchanged re-registrations keep it. */
  readonly since: Hlc
}

export interface MemberView {
  readonly nodeId: string
  readonly zone: string
  readonly addresses: readonly string[]
  /** The timestamp of the member's latest heartbeat. */
  readonly heartbeat: Hlc
}

export function getPartition (s: RingState, id: number): PartitionInfo | undefined {
  const p = s.partitions.get(id)
  if (p === undefined || p.state.value === 'deleted') return undefined
  return { id, state: p.state.value, stateTs: p.state.ts, stateWriter: p.state.writer, locked: p.locked.value }
}

/** Every live partition (pending, active and inactive), by id. */
export function listPartitions (s: RingState): PartitionInfo[] {
  const out: PartitionInfo[] = []
  for (const id of s.partitions.keys()) {
    const p = getPartition(s, id)
    if (p !== undefined) out.push(p)
  }
  return out.sort((a, b) => a.id - b.id)
}

/** The partitions writes go to and reads always cover. Pending ones are never used. */
export function activePartitions (s: RingState): PartitionInfo[] {
  return listPartitions(s).filter((p) => p.state === 'active')
}

/** The live owners of `partition`, whatever their health. */
export function ownersOf (s: RingState, partition: number): OwnerInfo[] {
  const out: OwnerInfo[] = []
  for (const o of s.owners.values()) {
    if (o.partition === partition && o.value.state === 'active') out.push({ ownerId: o.ownerId, partition, zone: o.value.zone, since: o.ts })
  }
  return out.sort((a, b) => compareStrings(a.ownerId, b.ownerId))
}

export function getMember (s: RingState, nodeId: string): MemberView | undefined {
  const m = s.members.get(nodeId)
  if (m === undefined || m.info.value.state !== 'active') return undefined
  return { nodeId, zone: m.info.value.zone, addresses: m.info.value.addresses, heartbeat: m.heartbeat.ts }
}

export function listMembers (s: RingState): MemberView[] {
  const out: MemberView[] = []
  for (const id of s.members.keys()) {
    const m = getMember(s, id)
    if (m !== undefined) out.push(m)
  }
  return out.sort((a, b) => compareStrings(a.nodeId, b.nodeId))
}

/**
 * True when `nodeId` is an active member whose last heartbeat is at most `heartbeatTimeoutMs`
 * before `now` (dskit `IsHealthy`: `now − timestamp ≤ timeout`). A heartbeat stamped slightly
 * ahead of `now` (within the accepted clock skew) counts as fresh.
 */
export function isHealthy (s: RingState, nodeId: string, now: number, heartbeatTimeoutMs: number): boolean {
  const m = getMember(s, nodeId)
  return m !== undefined && now - m.heartbeat.wall <= heartbeatTimeoutMs
}

/**
 * The owners of `partition` that can answer now: live owners whose member entry is active with
 * a fresh heartbeat. An owner with no member entry is skipped, as dskit skips owners missing
 * from the instance ring.
 */
export function healthyOwners (s: RingState, partition: number, now: number, heartbeatTimeoutMs: number): OwnerInfo[] {
  return ownersOf(s, partition).filter((o) => isHealthy(s, o.ownerId, now, heartbeatTimeoutMs))
}

export interface TombstoneCounts {
  readonly partitions: number
  readonly owners: number
  readonly members: number
}

/** How many tombstones the state holds (for metrics and the status page). */
export function countTombstones (s: RingState): TombstoneCounts {
  let partitions = 0
  let owners = 0
  let members = 0
  for (const p of s.partitions.values()) if (p.state.value === 'deleted') partitions++
  for (const o of s.owners.values()) if (o.value.state === 'deleted') owners++
  for (const m of s.members.values()) if (m.info.value.state === 'left') members++
  return { partitions, owners, members }
}
