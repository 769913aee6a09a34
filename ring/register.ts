/**
 * Last-writer-wins registers: the only kind of mutable field in the ring (ring-crdt.md §7).
 *
 * A register holds a value, the hybrid-logical-clock timestamp of the write and the id of the
 * writer. Two registers are ordered lexicographically by
 *
 *     (timestamp, rank(value), writer id, value)
 *
 * and merging keeps the greater one. Because that is a total order, merge (= max) is
 * idempotent, commutative and associative, and every replica picks the same winner whatever
 * order it hears the writes in, even when two writers use the same timestamp.
 *
 * - `rank` decides equal timestamps in favour of deletions: tombstones rank 1, live values 0
 *   (ring-crdt.md §7: "DELETED > others for the state register and DELETED > ACTIVE for
 *   owners"). An update and a delete stamped with the same tick therefore end as deleted on
 *   every replica, as in dskit's same-second rule.
 * - `writer id` breaks the remaining ties (two different live values at the same timestamp), the
 *   case where dskit's replicas can diverge forever. Ids compare by UTF-16 code units (JS `<`),
 *   which is the same on every replica.
 * - `value` is a last resort so that the order stays total even for input no honest writer
 *   produces: one writer's HLC never issues the same timestamp twice, so only a forged or
 *   corrupted message reaches it. It keeps the merge laws true for *every* input, which is what
 *   the property tests generate.
 *
 * A *stamp* is a register without a value (its timestamp is the information, e.g. a heartbeat);
 * it is ordered by `(timestamp, writer id)`.
 */
import { compareHlc } from './hlc.ts'
import type { Hlc } from './hlc.ts'

export interface Stamp {
  readonly ts: Hlc
  readonly writer: string
}

export interface Lww<V> extends Stamp {
  readonly value: V
}

/** How a register's values take part in the order. */
export interface LwwOrder<V> {
  /** Higher wins at equal timestamps: 1 for tombstones, 0 for live values. */
  rank (v: V): number
  /** A total order on values, 0 exactly when the values are equal. */
  compare (a: V, b: V): number
}

export function compareStrings (a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1
}

/** Element by element, then the shorter first. */
export function compareStringArrays (a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compareStrings(a[i] as string, b[i] as string)
    if (c !== 0) return c
  }
  return a.length - b.length
}

/** Orders stamps by `(timestamp, writer id)`. */
export function compareStamps (a: Stamp, b: Stamp): number {
  return compareHlc(a.ts, b.ts) || compareStrings(a.writer, b.writer)
}

/** Orders registers by `(timestamp, rank, writer id, value)`; 0 exactly when identical. */
export function compareLww<V> (order: LwwOrder<V>, a: Lww<V>, b: Lww<V>): number {
  return compareHlc(a.ts, b.ts) ||
    order.rank(a.value) - order.rank(b.value) ||
    compareStrings(a.writer, b.writer) ||
    order.compare(a.value, b.value)
}

/**
 * The register after merging `incoming` into `local`: the greater of the two, and `local`
 * itself (the same object) when `incoming` does not beat it, so callers detect "no change" by
 * identity. A missing local register is below everything.
 */
export function mergeLww<V, R extends Lww<V> = Lww<V>> (order: LwwOrder<V>, local: R | undefined, incoming: R): R {
  if (local === undefined) return incoming
  return compareLww(order, incoming, local) > 0 ? incoming : local
}

/** As `mergeLww`, for stamps. */
export function mergeStamp<S extends Stamp> (local: S | undefined, incoming: S): S {
  if (local === undefined) return incoming
  return compareStamps(incoming, local) > 0 ? incoming : local
}
