/**
 * Builders of ring states for tests (not used by production code). Timestamps are written as
 * `t(wall, logical)`; walls are small numbers unless a test needs real epoch milliseconds.
 */
import type { Hlc } from './hlc.ts'
import { emptyRing, ownerKey } from './model.ts'
import type { MemberEntry, OwnerEntry, PartitionEntry, RingState } from './model.ts'
import type { Lww, Stamp } from './register.ts'
import type { MemberState, OwnerState, PartitionRegisterState } from './states.ts'

export function t (wall: number, logical = 0): Hlc {
  return { wall, logical }
}

export function at (ts: Hlc, writer: string): Stamp {
  return { ts, writer }
}

export function reg<V> (value: V, ts: Hlc, writer: string): Lww<V> {
  return { value, ts, writer }
}

/** A partition whose lock register is `false`, written together with the state unless given. */
export function partition (id: number, state: PartitionRegisterState, ts: Hlc, writer: string, locked?: Lww<boolean>): PartitionEntry {
  return { id, state: reg(state, ts, writer), locked: locked ?? reg(false, ts, writer) }
}

export function owner (ownerId: string, partition: number, state: OwnerState, zone: string, ts: Hlc, writer = ownerId): OwnerEntry {
  return { ownerId, partition, value: { state, zone }, ts, writer }
}

export function member (nodeId: string, state: MemberState, zone: string, ts: Hlc, heartbeat: Hlc = ts, addresses: string[] = []): MemberEntry {
  return { nodeId, info: reg({ state, zone, addresses }, ts, nodeId), heartbeat: { ts: heartbeat, writer: nodeId } }
}

export interface RingSpec {
  partitions?: PartitionEntry[]
  owners?: OwnerEntry[]
  members?: MemberEntry[]
}

export function ring (spec: RingSpec = {}): RingState {
  if (spec.partitions === undefined && spec.owners === undefined && spec.members === undefined) return emptyRing()
  return {
    partitions: new Map((spec.partitions ?? []).map((p) => [p.id, p])),
    owners: new Map((spec.owners ?? []).map((o) => [ownerKey(o.ownerId, o.partition), o])),
    members: new Map((spec.members ?? []).map((m) => [m.nodeId, m])),
  }
}
