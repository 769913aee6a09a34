/**
 * Ring gossip message, version 1: a full state (anti-entropy push/pull, join) or a delta
 * (gossipsub), both carrying a `RingState`.
 *
 * Why binary and not JSON: heartbeats make deltas the bulk of gossip traffic (one per node per
 * second, each forwarded by every peer), and a binary heartbeat delta is about a third of the
 * JSON one; a fixed layout with sorted entries gives exactly one encoding per state, so golden
 * fixtures can pin it byte for byte and a signature covers a canonical form; and every field has
 * a fixed width or an explicit length, so validation is a bounds check rather than a schema walk.
 * Tokens are derived from partition ids (tokens.ts) and never sent.
 *
 * Layout (big-endian; `str` = u8 byte length + UTF-8 bytes; `hlc` = u64: wall ms in the high 48
 * bits, logical counter in the low 16):
 *
 *     message   = version:u8 (= 1)  kind:u8 (0 full, 1 delta)
 *                 count:u32 partition*  count:u32 owner*  count:u32 member*
 *     partition = id:u32 (≤ 2^31−1)
 *                 state:u8 (0 pending, 1 active, 2 inactive, 3 deleted)  ts:hlc  writer:str
 *                 locked:u8 (0, 1)  ts:hlc  writer:str
 *     owner     = ownerId:str  partition:u32
 *                 state:u8 (0 active, 1 deleted)  zone:str  ts:hlc  writer:str
 *     member    = nodeId:str
 *                 state:u8 (0 active, 1 left)  zone:str  addressCount:u8 (≤ 16) address:str*
 *                 ts:hlc  writer:str
 *                 heartbeatTs:hlc  heartbeatWriter:str
 *
 * Canonical form: partitions by ascending id, owners by ascending (ownerId, partition), members
 * by ascending nodeId (ids compared as JS strings); ids, writers and addresses non-empty. The
 * decoder rejects anything else (duplicates, wrong order, trailing bytes), so every accepted
 * message re-encodes to exactly its own bytes.
 *
 * This file is frozen once released: a v2 gets its own file and fixtures; v1 fixtures are
 * never edited.
 */
import { RingCodecError } from '../errors.ts'
import { ownerKey } from '../model.ts'
import type { MemberEntry, OwnerEntry, PartitionEntry, RingState } from '../model.ts'
import { compareStrings } from '../register.ts'
import type { MemberState, OwnerState, PartitionRegisterState } from '../states.ts'
import { ByteReader, ByteWriter } from './bytes.ts'

export const version = 1

export type RingMessageKind = 'full' | 'delta'

export interface RingMessage {
  readonly kind: RingMessageKind
  readonly state: RingState
}

export interface CodecLimits {
  /** Whole-message size; checked before anything is parsed. */
  readonly maxBytes: number
  readonly maxPartitions: number
  readonly maxOwners: number
  readonly maxMembers: number
}

/**
 * Generous enough for a 10 000-node full state (about 3 MB) and under dskit's 20 MiB push/pull
 * cap; the gossip transport passes tighter limits for deltas.
 */
export const defaultLimits: CodecLimits = { maxBytes: 16 * 1024 * 1024, maxPartitions: 65_536, maxOwners: 262_144, maxMembers: 65_536 }

const kinds: readonly RingMessageKind[] = ['full', 'delta']
const partitionStates: readonly PartitionRegisterState[] = ['pending', 'active', 'inactive', 'deleted']
const ownerStates: readonly OwnerState[] = ['active', 'deleted']
const memberStates: readonly MemberState[] = ['active', 'left']
const maxPartitionId = 2 ** 31 - 1
const maxAddresses = 16

export function encode (msg: RingMessage, limits: CodecLimits = defaultLimits): Buffer {
  const s = msg.state
  if (s.partitions.size > limits.maxPartitions) throw new RingCodecError('partitions', `${s.partitions.size} entries, limit ${limits.maxPartitions}`)
  if (s.owners.size > limits.maxOwners) throw new RingCodecError('owners', `${s.owners.size} entries, limit ${limits.maxOwners}`)
  if (s.members.size > limits.maxMembers) throw new RingCodecError('members', `${s.members.size} entries, limit ${limits.maxMembers}`)
  const w = new ByteWriter()
  w.u8(version, 'version')
  w.u8(enumIndex(kinds, msg.kind, 'kind'), 'kind')
  const partitions = [...s.partitions.values()].sort((a, b) => a.id - b.id)
  w.u32(partitions.length, 'partitions')
  for (const p of partitions) {
    if (!Number.isInteger(p.id) || p.id < 0 || p.id > maxPartitionId) throw new RingCodecError('partition.id', `out of range: ${p.id}`)
    w.u32(p.id, 'partition.id')
    w.u8(enumIndex(partitionStates, p.state.value, 'partition.state'), 'partition.state')
    w.hlc(p.state.ts, 'partition.state.ts')
    id(w, p.state.writer, 'partition.state.writer')
    w.u8(p.locked.value ? 1 : 0, 'partition.locked')
    w.hlc(p.locked.ts, 'partition.locked.ts')
    id(w, p.locked.writer, 'partition.locked.writer')
  }
  const owners = [...s.owners.values()].sort(compareOwners)
  w.u32(owners.length, 'owners')
  for (const o of owners) {
    id(w, o.ownerId, 'owner.id')
    if (!Number.isInteger(o.partition) || o.partition < 0 || o.partition > maxPartitionId) throw new RingCodecError('owner.partition', `out of range: ${o.partition}`)
    w.u32(o.partition, 'owner.partition')
    w.u8(enumIndex(ownerStates, o.value.state, 'owner.state'), 'owner.state')
    w.str(o.value.zone, 'owner.zone')
    w.hlc(o.ts, 'owner.ts')
    id(w, o.writer, 'owner.writer')
  }
  const members = [...s.members.values()].sort((a, b) => compareStrings(a.nodeId, b.nodeId))
  w.u32(members.length, 'members')
  for (const m of members) {
    id(w, m.nodeId, 'member.id')
    w.u8(enumIndex(memberStates, m.info.value.state, 'member.state'), 'member.state')
    w.str(m.info.value.zone, 'member.zone')
    if (m.info.value.addresses.length > maxAddresses) throw new RingCodecError('member.addresses', `more than ${maxAddresses}`)
    w.u8(m.info.value.addresses.length, 'member.addresses')
    for (const a of m.info.value.addresses) id(w, a, 'member.address')
    w.hlc(m.info.ts, 'member.ts')
    id(w, m.info.writer, 'member.writer')
    w.hlc(m.heartbeat.ts, 'member.heartbeat.ts')
    id(w, m.heartbeat.writer, 'member.heartbeat.writer')
  }
  if (w.length > limits.maxBytes) throw new RingCodecError('message', `${w.length} bytes, limit ${limits.maxBytes}`)
  return w.toBuffer()
}

export function decode (bytes: Uint8Array, limits: CodecLimits = defaultLimits): RingMessage {
  if (bytes.byteLength > limits.maxBytes) throw new RingCodecError('message', `${bytes.byteLength} bytes, limit ${limits.maxBytes}`)
  const r = new ByteReader(bytes)
  const v = r.u8('version')
  if (v !== version) throw new RingCodecError('version', `expected ${version}, got ${v}`)
  const kind = enumAt(kinds, r.u8('kind'), 'kind')

  const partitions = new Map<number, PartitionEntry>()
  let prevId = -1
  for (let i = 0, n = count(r, 'partitions', limits.maxPartitions); i < n; i++) {
    const pid = r.u32('partition.id')
    if (pid > maxPartitionId) throw new RingCodecError('partition.id', `out of range: ${pid}`)
    if (pid <= prevId) throw new RingCodecError('partition.id', `not ascending: ${pid} after ${prevId}`)
    prevId = pid
    const state = { value: enumAt(partitionStates, r.u8('partition.state'), 'partition.state'), ts: r.hlc('partition.state.ts'), writer: readId(r, 'partition.state.writer') }
    const lockedByte = r.u8('partition.locked')
    if (lockedByte > 1) throw new RingCodecError('partition.locked', `not a boolean: ${lockedByte}`)
    const locked = { value: lockedByte === 1, ts: r.hlc('partition.locked.ts'), writer: readId(r, 'partition.locked.writer') }
    partitions.set(pid, { id: pid, state, locked })
  }

  const owners = new Map<string, OwnerEntry>()
  let prevOwner: OwnerEntry | undefined
  for (let i = 0, n = count(r, 'owners', limits.maxOwners); i < n; i++) {
    const ownerId = readId(r, 'owner.id')
    const partition = r.u32('owner.partition')
    if (partition > maxPartitionId) throw new RingCodecError('owner.partition', `out of range: ${partition}`)
    const state = enumAt(ownerStates, r.u8('owner.state'), 'owner.state')
    const o: OwnerEntry = { ownerId, partition, value: { state, zone: r.str('owner.zone') }, ts: r.hlc('owner.ts'), writer: readId(r, 'owner.writer') }
    if (prevOwner !== undefined && compareOwners(prevOwner, o) >= 0) throw new RingCodecError('owner.id', `not ascending: ${ownerKey(ownerId, partition)}`)
    prevOwner = o
    owners.set(ownerKey(ownerId, partition), o)
  }

  const members = new Map<string, MemberEntry>()
  let prevNode: string | undefined
  for (let i = 0, n = count(r, 'members', limits.maxMembers); i < n; i++) {
    const nodeId = readId(r, 'member.id')
    if (prevNode !== undefined && compareStrings(prevNode, nodeId) >= 0) throw new RingCodecError('member.id', `not ascending: ${nodeId}`)
    prevNode = nodeId
    const state = enumAt(memberStates, r.u8('member.state'), 'member.state')
    const zone = r.str('member.zone')
    const nAddr = r.u8('member.addresses')
    if (nAddr > maxAddresses) throw new RingCodecError('member.addresses', `${nAddr} addresses, limit ${maxAddresses}`)
    const addresses: string[] = []
    for (let j = 0; j < nAddr; j++) addresses.push(readId(r, 'member.address'))
    const info = { value: { state, zone, addresses }, ts: r.hlc('member.ts'), writer: readId(r, 'member.writer') }
    const heartbeat = { ts: r.hlc('member.heartbeat.ts'), writer: readId(r, 'member.heartbeat.writer') }
    members.set(nodeId, { nodeId, info, heartbeat })
  }

  if (r.remaining !== 0) throw new RingCodecError('message', `${r.remaining} trailing bytes`)
  return { kind, state: { partitions, owners, members } }
}

function compareOwners (a: OwnerEntry, b: OwnerEntry): number {
  return compareStrings(a.ownerId, b.ownerId) || a.partition - b.partition
}

function count (r: ByteReader, field: string, limit: number): number {
  const n = r.u32(field)
  if (n > limit) throw new RingCodecError(field, `${n} entries, limit ${limit}`)
  return n
}

function id (w: ByteWriter, s: string, field: string): void {
  if (s.length === 0) throw new RingCodecError(field, 'empty')
  w.str(s, field)
}

function readId (r: ByteReader, field: string): string {
  const s = r.str(field)
  if (s.length === 0) throw new RingCodecError(field, 'empty')
  return s
}

function enumIndex<T> (values: readonly T[], v: T, field: string): number {
  const i = values.indexOf(v)
  if (i < 0) throw new RingCodecError(field, `unknown value ${String(v)}`)
  return i
}

function enumAt<T> (values: readonly T[], i: number, field: string): T {
  const v = values[i]
  if (v === undefined) throw new RingCodecError(field, `unknown value ${i}`)
  return v
}
