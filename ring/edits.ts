/**
 * Local edits: the only way a node changes the ring (ring-crdt.md §7, "Local edit"). Each one
 * takes the current state and an explicit stamp (`at`: the writer's HLC timestamp and its id),
 * checks the lifecycle rules, and returns `{ state, delta }` exactly like `merge`: the delta is
 * what the node gossips. An edit that would change nothing returns the state itself and an empty
 * delta (nothing to gossip); an edit the rules forbid throws `RingEditError`.
 *
 * Rules checked here:
 * - partitions are created only as `pending` (or re-created over a tombstone);
 * - state changes follow `partitionTransitions` (states.ts) and are refused while locked;
 * - a partition is deleted only from `inactive`, unlocked, and with no live owner;
 * - re-registering an unchanged owner or member keeps its old timestamp (no delta), so a restart
 *   does not reset the owners-duration wait before promotion (tempo-behaviour.md §4.3);
 * - `removeOwner` writes a tombstone even when the local view never saw the owner, so a
 *   shutting-down node with a stale view still retracts its ownership (dskit#1024);
 * - the edit's stamp must beat the register it writes (`stale_timestamp` otherwise).
 *
 * Policies that need configuration or the caller's identity (delete only after
 * `delete_inactive_partition_after`, never delete your own partition, who may write whose owner
 * entry) belong to the lifecycler and the gossip validators, not here.
 */
import { RingEditError } from './errors.ts'
import { formatHlc, isValidHlc } from './hlc.ts'
import { isEmptyRing, lockLww, memberInfoLww, merge, ownerKey, ownerLww, partitionStateLww } from './model.ts'
import type { MemberEntry, MergeResult, OwnerEntry, PartitionEntry, RingState } from './model.ts'
import { compareLww, compareStamps, compareStringArrays } from './register.ts'
import type { Lww, LwwOrder, Stamp } from './register.ts'
import { canTransition, deletablePartitionStates, initialPartitionState } from './states.ts'
import type { PartitionState } from './states.ts'

/** What a node may write; the v1 codec accepts at least this much. */
export const editLimits = {
  maxPartitionId: 2 ** 31 - 1,
  /** Owner ids, node ids, writer ids, zones and addresses, in UTF-8 bytes. */
  maxStringBytes: 255,
  maxAddresses: 16,
} as const

export function createPartition (state: RingState, at: Stamp, id: number): MergeResult {
  checkStamp(at)
  checkPartitionId(id)
  const cur = state.partitions.get(id)
  if (cur !== undefined && cur.state.value !== 'deleted') return unchanged(state)
  const reg: Lww<PartitionState> = { value: initialPartitionState, ts: at.ts, writer: at.writer }
  mustBeat(partitionStateLww, cur?.state, reg, `create partition ${id}`)
  return apply(state, { partitions: [{ id, state: reg, locked: cur?.locked ?? { value: false, ts: at.ts, writer: at.writer } }] })
}

export function setPartitionState (state: RingState, at: Stamp, id: number, to: PartitionState): MergeResult {
  checkStamp(at)
  const p = livePartition(state, id)
  const from = p.state.value as PartitionState
  if (from === to) return unchanged(state)
  if (p.locked.value) throw new RingEditError('locked', `partition ${id}: state change is locked`)
  if (!canTransition(from, to)) throw new RingEditError('transition_not_allowed', `partition ${id}: ${from} → ${to} is not allowed`)
  const reg: Lww<PartitionState> = { value: to, ts: at.ts, writer: at.writer }
  mustBeat(partitionStateLww, p.state, reg, `partition ${id} state`)
  return apply(state, { partitions: [{ id, state: reg, locked: p.locked }] })
}

export function setPartitionLock (state: RingState, at: Stamp, id: number, locked: boolean): MergeResult {
  checkStamp(at)
  const p = livePartition(state, id)
  if (p.locked.value === locked) return unchanged(state)
  const reg: Lww<boolean> = { value: locked, ts: at.ts, writer: at.writer }
  mustBeat(lockLww, p.locked, reg, `partition ${id} lock`)
  return apply(state, { partitions: [{ id, state: p.state, locked: reg }] })
}

export function deletePartition (state: RingState, at: Stamp, id: number): MergeResult {
  checkStamp(at)
  if (state.partitions.get(id)?.state.value === 'deleted') return unchanged(state)
  const p = livePartition(state, id)
  const from = p.state.value as PartitionState
  if (p.locked.value) throw new RingEditError('locked', `partition ${id}: state change is locked`)
  if (!deletablePartitionStates.includes(from)) throw new RingEditError('transition_not_allowed', `partition ${id}: cannot delete a ${from} partition`)
  for (const o of state.owners.values()) {
    if (o.partition === id && o.value.state === 'active') throw new RingEditError('has_owners', `partition ${id}: still owned by ${o.ownerId}`)
  }
  const reg: Lww<'deleted'> = { value: 'deleted', ts: at.ts, writer: at.writer }
  mustBeat(partitionStateLww, p.state, reg, `delete partition ${id}`)
  return apply(state, { partitions: [{ id, state: reg, locked: p.locked }] })
}

export interface OwnerSpec {
  readonly ownerId: string
  readonly partition: number
  readonly zone: string
}

export function addOwner (state: RingState, at: Stamp, owner: OwnerSpec): MergeResult {
  checkStamp(at)
  checkString(owner.ownerId, 'owner id', false)
  checkString(owner.zone, 'zone', true)
  livePartition(state, owner.partition)
  const cur = state.owners.get(ownerKey(owner.ownerId, owner.partition))
  if (cur !== undefined && cur.value.state === 'active' && cur.value.zone === owner.zone) return unchanged(state)
  const entry: OwnerEntry = { ownerId: owner.ownerId, partition: owner.partition, value: { state: 'active', zone: owner.zone }, ts: at.ts, writer: at.writer }
  mustBeat(ownerLww, cur, entry, `owner ${owner.ownerId} of partition ${owner.partition}`)
  return apply(state, { owners: [entry] })
}

/**
 * Creates `owner.partition` as pending when absent (or deleted) and registers `owner` as its
 * owner, in one step: what a node does for each partition it owns at startup, and the only form
 * in which peers accept a new partition (gossip-authorize.ts: creation by an owner).
 */
export function claimPartition (state: RingState, at: Stamp, owner: OwnerSpec): MergeResult {
  const created = createPartition(state, at, owner.partition)
  const owned = addOwner(created.state, at, owner)
  return { state: owned.state, delta: merge(created.delta, owned.delta).state }
}

export function removeOwner (state: RingState, at: Stamp, ownerId: string, partition: number): MergeResult {
  checkStamp(at)
  checkString(ownerId, 'owner id', false)
  checkPartitionId(partition)
  const cur = state.owners.get(ownerKey(ownerId, partition))
  if (cur?.value.state === 'deleted') return unchanged(state)
  const entry: OwnerEntry = { ownerId, partition, value: { state: 'deleted', zone: cur?.value.zone ?? '' }, ts: at.ts, writer: at.writer }
  mustBeat(ownerLww, cur, entry, `remove owner ${ownerId} of partition ${partition}`)
  return apply(state, { owners: [entry] })
}

export interface MemberSpec {
  readonly nodeId: string
  readonly zone: string
  readonly addresses: readonly string[]
}

/** Registers a member, or updates its zone or addresses; the registration counts as a heartbeat. */
export function upsertMember (state: RingState, at: Stamp, member: MemberSpec): MergeResult {
  checkStamp(at)
  checkString(member.nodeId, 'node id', false)
  checkString(member.zone, 'zone', true)
  if (member.addresses.length > editLimits.maxAddresses) throw new RingEditError('invalid', `member ${member.nodeId}: more than ${editLimits.maxAddresses} addresses`)
  for (const a of member.addresses) checkString(a, 'address', false)
  const cur = state.members.get(member.nodeId)
  const v = cur?.info.value
  if (v !== undefined && v.state === 'active' && v.zone === member.zone && compareStringArrays(v.addresses, member.addresses) === 0) return unchanged(state)
  const info = { value: { state: 'active' as const, zone: member.zone, addresses: [...member.addresses] }, ts: at.ts, writer: at.writer }
  mustBeat(memberInfoLww, cur?.info, info, `member ${member.nodeId}`)
  const beat: Stamp = { ts: at.ts, writer: at.writer }
  const heartbeat = cur === undefined || compareStamps(beat, cur.heartbeat) > 0 ? beat : cur.heartbeat
  return apply(state, { members: [{ nodeId: member.nodeId, info, heartbeat }] })
}

/** Records a heartbeat of a registered, active member. */
export function heartbeat (state: RingState, at: Stamp, nodeId: string): MergeResult {
  checkStamp(at)
  const cur = state.members.get(nodeId)
  if (cur === undefined || cur.info.value.state !== 'active') throw new RingEditError('not_found', `member ${nodeId} is not registered`)
  const beat: Stamp = { ts: at.ts, writer: at.writer }
  if (compareStamps(beat, cur.heartbeat) <= 0) throw stale(`heartbeat of ${nodeId}`, at)
  return apply(state, { members: [{ nodeId, info: cur.info, heartbeat: beat }] })
}

/** Marks a member as left (a tombstone), even when the local view never saw it. */
export function removeMember (state: RingState, at: Stamp, nodeId: string): MergeResult {
  checkStamp(at)
  checkString(nodeId, 'node id', false)
  const cur = state.members.get(nodeId)
  if (cur?.info.value.state === 'left') return unchanged(state)
  const info = { value: { state: 'left' as const, zone: cur?.info.value.zone ?? '', addresses: [] }, ts: at.ts, writer: at.writer }
  mustBeat(memberInfoLww, cur?.info, info, `remove member ${nodeId}`)
  return apply(state, { members: [{ nodeId, info, heartbeat: cur?.heartbeat ?? { ts: at.ts, writer: at.writer } }] })
}

interface Changes {
  partitions?: PartitionEntry[]
  owners?: OwnerEntry[]
  members?: MemberEntry[]
}

function apply (state: RingState, c: Changes): MergeResult {
  const delta: RingState = {
    partitions: new Map((c.partitions ?? []).map((p) => [p.id, p])),
    owners: new Map((c.owners ?? []).map((o) => [ownerKey(o.ownerId, o.partition), o])),
    members: new Map((c.members ?? []).map((m) => [m.nodeId, m])),
  }
  const r = merge(state, delta)
  // mustBeat has already checked that the edit wins, so the merge's delta is `delta` itself.
  if (isEmptyRing(r.delta)) throw new RingEditError('stale_timestamp', 'the edit changed nothing')
  return r
}

function unchanged (state: RingState): MergeResult {
  return { state, delta: { partitions: new Map(), owners: new Map(), members: new Map() } }
}

function livePartition (state: RingState, id: number): PartitionEntry {
  checkPartitionId(id)
  const p = state.partitions.get(id)
  if (p === undefined || p.state.value === 'deleted') throw new RingEditError('not_found', `partition ${id} does not exist`)
  return p
}

function mustBeat<V> (order: LwwOrder<V>, cur: Lww<V> | undefined, next: Lww<V>, what: string): void {
  if (cur !== undefined && compareLww(order, next, cur) <= 0) throw stale(what, next, cur)
}

function stale (what: string, at: Stamp, cur?: Stamp): RingEditError {
  const against = cur === undefined ? '' : ` (current ${formatHlc(cur.ts)} by ${cur.writer})`
  return new RingEditError('stale_timestamp', `${what}: timestamp ${formatHlc(at.ts)} by ${at.writer} does not beat the current value${against}`)
}

function checkStamp (at: Stamp): void {
  if (!isValidHlc(at.ts)) throw new RingEditError('invalid', `invalid timestamp ${formatHlc(at.ts)}`)
  checkString(at.writer, 'writer id', false)
}

function checkPartitionId (id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > editLimits.maxPartitionId) throw new RingEditError('invalid', `invalid partition id ${id}`)
}

/** Strings travel as UTF-8, which cannot carry a lone UTF-16 surrogate. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function checkString (s: string, what: string, emptyOk: boolean): void {
  if (!emptyOk && s.length === 0) throw new RingEditError('invalid', `empty ${what}`)
  if (loneSurrogate.test(s)) throw new RingEditError('invalid', `${what} is not valid Unicode`)
  if (Buffer.byteLength(s, 'utf8') > editLimits.maxStringBytes) throw new RingEditError('invalid', `${what} longer than ${editLimits.maxStringBytes} bytes`)
}
