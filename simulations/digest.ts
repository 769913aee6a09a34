/**
 * What "the same state" means for the convergence invariant: two replicas agree when readers
 * would see the same registers, i.e. the same live partitions (state and lock registers with
 * their stamps), live owners and active members (info register with its stamp). Left out:
 * member heartbeats, which change every second somewhere and say nothing about ownership, and
 * tombstones, which readers never see and which each replica drops on its own GC timer (a
 * replica that has dropped a tombstone and one that still holds it show readers the same ring).
 * A replica still holding a live value that another has deleted differs, as it should.
 *
 * The digest is an order-independent sum of per-entry hashes (two 32-bit lanes), cached per
 * entry object: entries are immutable and shared between a replica's successive states.
 */
import { merge } from '../ring/model.ts'
import type { MemberEntry, OwnerEntry, PartitionEntry, RingState } from '../ring/model.ts'

const cache = new WeakMap<object, readonly [number, number]>()

function mix (h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return Math.imul(h ^ 0xff, 0x01000193)
}

function lanes (parts: readonly string[]): readonly [number, number] {
  let a = 0x811c9dc5
  let b = 0x1b873593
  for (const p of parts) { a = mix(a, p); b = mix(b, p + '\u0001') }
  return [a >>> 0, b >>> 0]
}

function cached<T extends object> (e: T, parts: (e: T) => readonly string[]): readonly [number, number] {
  let h = cache.get(e)
  if (h === undefined) cache.set(e, h = lanes(parts(e)))
  return h
}

const partitionParts = (p: PartitionEntry): string[] => ['p', String(p.id), p.state.value, String(p.state.ts.wall), String(p.state.ts.logical), p.state.writer, String(p.locked.value), String(p.locked.ts.wall), String(p.locked.ts.logical), p.locked.writer]
const ownerParts = (o: OwnerEntry): string[] => ['o', o.ownerId, String(o.partition), o.value.zone, String(o.ts.wall), String(o.ts.logical), o.writer]
const memberParts = (m: MemberEntry): string[] => ['m', m.nodeId, m.info.value.zone, m.info.value.addresses.join(' '), String(m.info.ts.wall), String(m.info.ts.logical), m.info.writer]

/** The visible-state digest (see the file comment); equal digests = equal visible states. */
export function visibleDigest (s: RingState): string {
  let a = 0
  let b = 0
  let n = 0
  const add = (h: readonly [number, number]): void => { a = (a + h[0]) >>> 0; b = (b + h[1]) >>> 0; n++ }
  for (const p of s.partitions.values()) if (p.state.value !== 'deleted') add(cached(p, partitionParts))
  for (const o of s.owners.values()) if (o.value.state === 'active') add(cached(o, ownerParts))
  for (const m of s.members.values()) if (m.info.value.state === 'active') add(cached(m, memberParts))
  return `${n}:${a.toString(16)}:${b.toString(16)}`
}

/** The join (CRDT merge) of every state: what every replica holds once all of them have met. */
export function joinStates (states: Iterable<RingState>): RingState | undefined {
  let out: RingState | undefined
  for (const s of states) out = out === undefined ? s : merge(out, s).state
  return out
}
