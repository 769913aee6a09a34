/**
 * The partition ring as a state-based CRDT: plain immutable data and pure functions, no I/O,
 * no clock (the time is always an argument). ring-crdt.md §7 is the specification.
 *
 * State: three maps of entries, every mutable field a last-writer-wins register (register.ts).
 * - partitions, by id: the state register (`pending | active | inactive | deleted`) and the
 *   state-change lock register. Tokens are derived from the id (tokens.ts), never stored.
 * - owners, by `(ownerId, partition)`: one register holding `{ state: active | deleted, zone }`.
 * - members, by node id: an info register `{ state: active | left, zone, addresses }` and a
 *   heartbeat stamp.
 * Deletions are tombstones (`deleted` / `left` values), so a deletion is just a newer write.
 *
 * `merge(local, incoming)` merges every register of every incoming entry into `local`
 * (an entry missing locally is adopted whole, tombstones included; an entry missing from
 * `incoming` is left alone, never read as a deletion). It returns the new state and the delta:
 * the entries whose value changed, each with its full new value, and nothing else.
 *
 * Laws (checked by model.property.test.ts with fast-check), for all states a, b, c:
 * - idempotent:   merge(a, a).state = a, and merge(a, a).delta is empty
 * - commutative:  merge(a, b).state = merge(b, a).state
 * - associative:  merge(merge(a, b).state, c).state = merge(a, merge(b, c).state).state
 * - delta:        merge(a, merge(a, b).delta).state = merge(a, b).state, and for every c that
 *                 has seen a (c = merge(a, x).state), merge(c, delta) = merge(c, merge(a, b).state)
 * - no-op:        when the delta is empty, the returned state is `local` itself
 * These hold because each register merge is "max" under a total order and entries are merged
 * register by register, which makes the state a join-semilattice.
 *
 * Not part of the lattice, and therefore separate, named operations: local edits (edits.ts,
 * checked against the transition table), tombstone garbage collection (`gcTombstones`) and
 * dropping departed nodes' owner entries (`dropDepartedOwners`).
 */
import { compareHlc } from './hlc.ts'
import type { Hlc } from './hlc.ts'
import { compareStringArrays, compareStrings, mergeLww, mergeStamp } from './register.ts'
import type { Lww, LwwOrder, Stamp } from './register.ts'
import type { MemberState, OwnerState, PartitionRegisterState } from './states.ts'

export interface PartitionEntry {
  /** An int32 >= 0, as in dskit; immutable. */
  readonly id: number
  readonly state: Lww<PartitionRegisterState>
  /** While true, the state may not be changed (dskit `stateChangeLocked`). */
  readonly locked: Lww<boolean>
}

export interface OwnerValue {
  readonly state: OwnerState
  /** The owner's availability zone: one owner per partition and zone serves reads. */
  readonly zone: string
}

/** One node's ownership of one partition: the register plus its immutable key. */
export interface OwnerEntry extends Lww<OwnerValue> {
  readonly ownerId: string
  readonly partition: number
}

export interface MemberInfo {
  readonly state: MemberState
  readonly zone: string
  /** Where peers reach the node (multiaddrs), in the order the node gave them. */
  readonly addresses: readonly string[]
}

export interface MemberEntry {
  readonly nodeId: string
  readonly info: Lww<MemberInfo>
  /** The node's last heartbeat: its timestamp is the information. */
  readonly heartbeat: Stamp
}

export interface RingState {
  readonly partitions: ReadonlyMap<number, PartitionEntry>
  /** Keyed by `ownerKey(ownerId, partition)`. */
  readonly owners: ReadonlyMap<string, OwnerEntry>
  readonly members: ReadonlyMap<string, MemberEntry>
}

export interface MergeResult {
  readonly state: RingState
  /** Exactly the entries of `state` that differ from the local state, with their full values. */
  readonly delta: RingState
}

/** How long owner tombstones are kept before `gcTombstones` may drop them (dskit `left_ingesters_timeout`). */
export const defaultTombstoneHorizonMs = 5 * 60_000

/**
 * How long the tombstones of members that left and of deleted partitions are kept. They are one
 * small entry per node id or partition id, and while a node's `left` entry lives it also buries
 * every older owner entry of that node (`dropDepartedOwners`), so a replica cut off for less than
 * this cannot bring any of them back (ring-crdt.md §5.3 "a stale re-appearance loses").
 */
export const defaultDepartureHorizonMs = 24 * 3_600_000

/** The map key of an owner entry. Unambiguous: the partition is the part after the last `/`. */
export function ownerKey (ownerId: string, partition: number): string {
  return `${ownerId}/${partition}`
}

export function emptyRing (): RingState {
  return { partitions: new Map(), owners: new Map(), members: new Map() }
}

export function isEmptyRing (s: RingState): boolean {
  return s.partitions.size === 0 && s.owners.size === 0 && s.members.size === 0
}

const partitionStateOrder = ['pending', 'active', 'inactive', 'deleted'] as const

export const partitionStateLww: LwwOrder<PartitionRegisterState> = {
  rank: (v) => v === 'deleted' ? 1 : 0,
  compare: (a, b) => partitionStateOrder.indexOf(a) - partitionStateOrder.indexOf(b),
}

export const lockLww: LwwOrder<boolean> = {
  rank: () => 0,
  compare: (a, b) => Number(a) - Number(b),
}

export const ownerLww: LwwOrder<OwnerValue> = {
  rank: (v) => v.state === 'deleted' ? 1 : 0,
  compare: (a, b) => compareStrings(a.state, b.state) || compareStrings(a.zone, b.zone),
}

export const memberInfoLww: LwwOrder<MemberInfo> = {
  rank: (v) => v.state === 'left' ? 1 : 0,
  compare: (a, b) => compareStrings(a.state, b.state) || compareStrings(a.zone, b.zone) ||
    compareStringArrays(a.addresses, b.addresses),
}

function mergePartition (cur: PartitionEntry | undefined, inc: PartitionEntry): PartitionEntry {
  if (cur === undefined) return inc
  const state = mergeLww(partitionStateLww, cur.state, inc.state)
  const locked = mergeLww(lockLww, cur.locked, inc.locked)
  if (state === cur.state && locked === cur.locked) return cur
  if (state === inc.state && locked === inc.locked) return inc
  return { id: cur.id, state, locked }
}

function mergeOwner (cur: OwnerEntry | undefined, inc: OwnerEntry): OwnerEntry {
  return mergeLww(ownerLww, cur, inc)
}

function mergeMember (cur: MemberEntry | undefined, inc: MemberEntry): MemberEntry {
  if (cur === undefined) return inc
  const info = mergeLww(memberInfoLww, cur.info, inc.info)
  const heartbeat = mergeStamp(cur.heartbeat, inc.heartbeat)
  if (info === cur.info && heartbeat === cur.heartbeat) return cur
  if (info === inc.info && heartbeat === inc.heartbeat) return inc
  return { nodeId: cur.nodeId, info, heartbeat }
}

/**
 * Merges one map: returns the new map (the local one itself when nothing changed) and fills
 * `delta` with the changed entries. Merge functions return `cur` (by identity) for "no change".
 */
function mergeMap<K, V> (local: ReadonlyMap<K, V>, incoming: ReadonlyMap<K, V>, mergeOne: (cur: V | undefined, inc: V) => V, delta: Map<K, V>): ReadonlyMap<K, V> {
  let out: Map<K, V> | undefined
  for (const [k, inc] of incoming) {
    const cur = local.get(k)
    const next = mergeOne(cur, inc)
    if (next === cur) continue
    out ??= new Map(local)
    out.set(k, next)
    delta.set(k, next)
  }
  return out ?? local
}

/** The CRDT merge (see the file comment for its laws). Pure: neither argument is modified. */
export function merge (local: RingState, incoming: RingState): MergeResult {
  const delta = { partitions: new Map<number, PartitionEntry>(), owners: new Map<string, OwnerEntry>(), members: new Map<string, MemberEntry>() }
  const partitions = mergeMap(local.partitions, incoming.partitions, mergePartition, delta.partitions)
  const owners = mergeMap(local.owners, incoming.owners, mergeOwner, delta.owners)
  const members = mergeMap(local.members, incoming.members, mergeMember, delta.members)
  if (isEmptyRing(delta)) return { state: local, delta }
  return { state: { partitions, owners, members }, delta }
}

/**
 * The latest timestamp anywhere in `s`, or undefined for an empty state. Before merging a
 * received message, a node passes this to `HybridClock.update`: that both rejects a message
 * stamped too far in the future and makes the node's next edits beat everything it has seen.
 */
export function maxTimestamp (s: RingState): Hlc | undefined {
  let max: Hlc | undefined
  const see = (ts: Hlc): void => { if (max === undefined || ts.wall > max.wall || (ts.wall === max.wall && ts.logical > max.logical)) max = ts }
  for (const p of s.partitions.values()) { see(p.state.ts); see(p.locked.ts) }
  for (const o of s.owners.values()) see(o.ts)
  for (const m of s.members.values()) { see(m.info.ts); see(m.heartbeat.ts) }
  return max
}

/**
 * Drops the owner entries, live or deleted, of nodes whose `left` member entry is newer than
 * them: a node deletes its owner entries before it leaves, so anything of it older than its
 * departure is either a tombstone it wrote or a stale copy from a replica that was cut off. This
 * is what keeps a long network partition from resurrecting a departed node's ownership after the
 * owner tombstones were garbage-collected (cortex#4010): the `left` entry outlives them
 * (`defaultDepartureHorizonMs`). A node that rejoins writes a newer `active` entry and new owner
 * entries, which this leaves alone.
 *
 * Like `gcTombstones` a local step outside the merge laws; every replica applies it after each
 * change (gossip.ts), so replicas that merged the same entries hold the same state. `nodeIds`
 * narrows the check to those owners (the ones a delta touched); without it every owner is checked.
 * Returns `state` itself when nothing is dropped.
 */
export function dropDepartedOwners (state: RingState, nodeIds?: ReadonlySet<string>): RingState {
  if (nodeIds?.size === 0) return state
  const owners = dropWhere(state.owners, (o) => {
    if (nodeIds !== undefined && !nodeIds.has(o.ownerId)) return false
    const m = state.members.get(o.ownerId)
    return m !== undefined && m.info.value.state === 'left' && compareHlc(m.info.ts, o.ts) > 0
  })
  return owners === state.owners ? state : { ...state, owners }
}

/** The node ids whose owner entries `delta` may have made departed: its owners' and its leavers'. */
export function departureCandidates (delta: RingState): Set<string> {
  const ids = new Set<string>()
  for (const o of delta.owners.values()) ids.add(o.ownerId)
  for (const m of delta.members.values()) if (m.info.value.state === 'left') ids.add(m.nodeId)
  return ids
}

/**
 * A merge (or an edit) followed by `dropDepartedOwners` on what it touched: the delta keeps only
 * the owner entries the state still holds, so a buried entry counts as never adopted.
 */
export function buryDeparted (r: MergeResult): MergeResult {
  const state = dropDepartedOwners(r.state, departureCandidates(r.delta))
  if (state === r.state) return r
  const owners = new Map([...r.delta.owners].filter(([k, o]) => state.owners.get(k) === o))
  return { state, delta: { ...r.delta, owners } }
}

/**
 * `state` without any entry that has a register stamped after `limit` (milliseconds): what a
 * node keeps of its state when its clock turns out to have run ahead (gossip.ts `RingReplica`
 * rewinds its HLC). Peers rejected those stamps, so they hold the older values, which the next
 * push/pull brings back; the node's own entries are written again by its lifecycler.
 * Returns `state` itself when nothing is dropped.
 */
export function dropStampedAfter (state: RingState, limit: number): RingState {
  const after = (ts: Hlc): boolean => ts.wall > limit
  const partitions = dropWhere(state.partitions, (p) => after(p.state.ts) || after(p.locked.ts))
  const owners = dropWhere(state.owners, (o) => after(o.ts))
  const members = dropWhere(state.members, (m) => after(m.info.ts) || after(m.heartbeat.ts))
  if (partitions === state.partitions && owners === state.owners && members === state.members) return state
  return { partitions, owners, members }
}

export interface TombstoneHorizons {
  /** Owner tombstones (`tombstone_horizon`). */
  readonly ownersMs: number
  /** Members that left and deleted partitions (`departure_horizon`). */
  readonly departuresMs: number
}

/**
 * Drops tombstones whose timestamp is older than their horizon before `now` (milliseconds, same
 * scale as `Hlc.wall`): deleted owners after `ownersMs`; deleted partitions and members that
 * left (whose last heartbeat must be that old too) after `departuresMs`. Also drops departed
 * nodes' owner entries (`dropDepartedOwners`). Returns `state` itself when nothing is dropped.
 *
 * This is a local operation, not a merge: a replica that has dropped a tombstone and one that
 * has not differ until the other drops it too.
 *
 * Why dropping after the horizon is safe: a tombstone only has to outlive every copy of the
 * value it deletes. Gossip spreads a tombstone to connected replicas within seconds, and
 * anti-entropy (a full-state push/pull with a random peer every 30 s, scaled to at most 300 s at
 * 10 000 nodes; ring-crdt.md §1.3) repairs any replica that missed it, well inside the 5-minute
 * horizon. Once every replica holds the tombstone, the deleted value is gone everywhere, so no
 * replica can gossip it back, and forgetting the tombstone changes nothing. The argument fails
 * for a replica that was cut off for longer than the horizon (or for anyone replaying an old
 * message): its stale live entry would come back after the GC (cortex#4010). Owner entries are
 * only ever deleted by a node that is leaving, so its `left` entry, kept for the much longer
 * departure horizon, buries them; partitions and members have only the departure horizon.
 * A replica away for longer than that can still resurrect entries (the limit ring-crdt.md §7
 * "GC" accepts); a restarted node starts empty and pulls first, so only a cut, not a restart,
 * can do that.
 */
export function gcTombstones (state: RingState, horizons: TombstoneHorizons, now: number): RingState {
  const old = (ts: Hlc, horizonMs: number): boolean => ts.wall < now - horizonMs
  const { ownersMs, departuresMs } = horizons
  const partitions = dropWhere(state.partitions, (p) => p.state.value === 'deleted' && old(p.state.ts, departuresMs))
  const owners = dropWhere(state.owners, (o) => o.value.state === 'deleted' && old(o.ts, ownersMs))
  const members = dropWhere(state.members, (m) => m.info.value.state === 'left' && old(m.info.ts, departuresMs) && old(m.heartbeat.ts, departuresMs))
  const out = partitions === state.partitions && owners === state.owners && members === state.members ? state : { partitions, owners, members }
  return dropDepartedOwners(out)
}

function dropWhere<K, V> (m: ReadonlyMap<K, V>, drop: (v: V) => boolean): ReadonlyMap<K, V> {
  let out: Map<K, V> | undefined
  for (const [k, v] of m) {
    if (!drop(v)) continue
    out ??= new Map(m)
    out.delete(k)
  }
  return out ?? m
}
