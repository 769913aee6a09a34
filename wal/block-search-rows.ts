import type { PrefilterCondition, SpanPrefilter } from '../common/search/prefilter.ts'
import { firstAttribute, scalarMeets } from '../common/search/prefilter-eval.ts'
import { ATTRIBUTES, BlobContext, blobCheck, contains } from './block-search-blobs.ts'
import type { BlobCheck } from './block-search-blobs.ts'
import { INTRINSIC_COLUMNS, SPAN_DEDICATED, exactStringColumn } from './block-search-columns.ts'
import { decodeKeyValueList } from './format/values.ts'

/**
 * The prefilter evaluated on a row group's columns, exactly as prefilter-eval.ts's spanMayMatch
 * does on the model (same first-attribute rule, same comparisons), one condition at a time over
 * whole columns, reading only what it needs:
 *
 * - Column checks first, cheapest column first (by its compressed size in the group), each
 *   visiting only the rows still alive; a conjunction stops reading once no row is. Intrinsic
 *   columns; dedicated string columns (they hold exactly the value a string condition compares
 *   with; null meets nothing); dedicated int64 columns (a value is the first attribute's int,
 *   compared as is; an int meets no string or boolean condition).
 * - An int64 column's null means "absent or of another type", and a double of that key still
 *   meets a numeric condition. The rows where the column is null but the span has the key are
 *   found once per row group and open file (GroupColumns.memo): usually none, and then every
 *   null row lacks the attribute without reading the blobs again. Null rows among those are
 *   decided by their blob.
 * - Then attribute-blob checks (block-search-blobs.ts) on the rows still alive: conditions
 *   without a column, and those null rows.
 * - What a scan learnt of a column in a group (its distinct values, up to MAX_DISTINCT, and
 *   whether it has nulls) is kept the same way, so a later search whose condition no distinct
 *   value meets (and no null row can) rules the group out without reading anything.
 */

/** One row group's columns, each read at most once. */
export interface GroupColumns {
  readonly rowCount: number
  /** The column's values, one per row of the group (null where the column is null). */
  read (column: string): Promise<ArrayLike<unknown>>
  /** What reading the column costs, relative to the others (its compressed size). */
  cost (column: string): number
  /**
   * A fact about the group's data computed once and kept while the file is open (the file
   * never changes); a computation that fails is not kept.
   */
  memo<T> (key: string, compute: () => Promise<T>): Promise<T>
  /** A fact memo() keeps (or is computing), else undefined. */
  peek<T> (key: string): Promise<T> | undefined
}

/** Which rows of a group may meet the prefilter (mask: 1 = may), and how many. */
export interface GroupRows {
  mask: Uint8Array
  count: number
}

export interface GroupTest {
  rows (group: GroupColumns): Promise<GroupRows>
}

type Scalar = string | bigint | number | boolean

interface ColumnCheck {
  readonly column: string
  /** Whether a non-null value meets the condition. */
  readonly test: (v: unknown) => boolean
  /**
   * A dedicated int64 column: a null row may hold the key with another type, so a null row
   * whose span has the key is decided by `check` (its blob); the others lack the attribute.
   */
  readonly nulls?: { readonly key: string, readonly keyBytes: Uint8Array, readonly check: BlobCheck }
}

interface Conjunction {
  readonly columnChecks: readonly ColumnCheck[]
  readonly blobChecks: readonly BlobCheck[]
}

export function compileGroupTest (prefilter: SpanPrefilter): GroupTest {
  const conjunctions = prefilter.anyOf.map(compileConjunction)
  return { rows: (group) => groupRows(conjunctions, group) }
}

async function groupRows (conjunctions: readonly Conjunction[], group: GroupColumns): Promise<GroupRows> {
  const n = group.rowCount
  const mask = new Uint8Array(n)
  let count = 0
  const ctx = new BlobContext(group)
  for (const conj of conjunctions) {
    if (count === n) break
    // Rows already met need no other conjunction.
    const alive = new Uint8Array(n)
    for (let i = 0; i < n; i++) alive[i] = mask[i] === 0 ? 1 : 0
    if (await conjunctionRows(conj, group, ctx, alive, n - count) === 0) continue
    for (let i = 0; i < n; i++) {
      if (alive[i] === 1) { mask[i] = 1; count++ }
    }
  }
  return { mask, count }
}

/** Clears in `alive` the rows that do not meet the conjunction; returns how many are left. */
async function conjunctionRows (conj: Conjunction, group: GroupColumns, ctx: BlobContext, alive: Uint8Array, count: number): Promise<number> {
  const n = group.rowCount
  const checks = [...conj.columnChecks].sort((a, b) => group.cost(a.column) - group.cost(b.column))
  // What earlier scans learnt of the group may rule it out without reading anything.
  for (const check of checks) if (await rulesOut(check, group)) return 0
  const pending: { check: BlobCheck, rows: number[] | null }[] = []
  for (const check of checks) {
    if (count === 0) return 0
    const values = await group.read(check.column)
    void group.memo(factsKey(check.column), async () => columnFacts(values))
    let nulls: number[] | null = null
    let last: unknown = NaN // NaN is never a column value here, and === nothing
    let lastMet = false
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0) continue
      const v = values[i]
      if (v === null || v === undefined) {
        if (check.nulls !== undefined) {
          (nulls ??= []).push(i)
          continue
        }
      } else {
        if (v !== last) { last = v; lastMet = check.test(v) }
        if (lastMet) continue
      }
      alive[i] = 0
      count--
    }
    if (nulls === null) continue
    // Null rows whose blob lacks the key lack the attribute; the others wait for the blob check.
    const keyed = await keyedNullRows(group, check.column, check.nulls!.key, check.nulls!.keyBytes)
    const isKeyed = new Uint8Array(keyed.length === 0 ? 0 : n)
    for (const i of keyed) isKeyed[i] = 1
    const maybe: number[] = []
    for (const i of nulls) {
      if (isKeyed[i] === 1) maybe.push(i)
      else { alive[i] = 0; count-- }
    }
    if (maybe.length > 0) pending.push({ check: check.nulls!.check, rows: maybe })
  }
  for (const check of conj.blobChecks) pending.push({ check, rows: null })
  // Resource blobs (few distinct, decided once each) before span blobs.
  pending.sort((a, b) => blobCost(a.check) - blobCost(b.check))
  for (const { check, rows } of pending) {
    if (count === 0) return 0
    if (rows !== null && !rows.some((i) => alive[i] === 1)) continue
    await ctx.load(check.columns)
    if (rows === null) {
      for (let i = 0; i < n; i++) {
        if (alive[i] === 1 && !check.test(i, ctx)) { alive[i] = 0; count-- }
      }
    } else {
      for (const i of rows) {
        if (alive[i] === 1 && !check.test(i, ctx)) { alive[i] = 0; count-- }
      }
    }
  }
  return count
}

/** A column's values in one row group, as far as pruning needs them. */
interface ColumnFacts {
  /** The distinct non-null values, or null when there are more than MAX_DISTINCT. */
  readonly distinct: readonly unknown[] | null
  readonly nulls: boolean
}

/** Beyond this many distinct values a column's facts keep none (statistics prune those columns). */
const MAX_DISTINCT = 64

const factsKey = (column: string): string => `facts:${column}`
const keyedKey = (column: string): string => `keyed-nulls:${column}`

function columnFacts (values: ArrayLike<unknown>): ColumnFacts {
  let distinct: Set<unknown> | null = new Set()
  let nulls = false
  let last: unknown = NaN
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) { nulls = true; continue }
    if (distinct === null || v === last) continue
    last = v
    distinct.add(v)
    if (distinct.size > MAX_DISTINCT) distinct = null
  }
  return { distinct: distinct === null ? null : [...distinct], nulls }
}

/**
 * Whether no row of the group meets the check, by facts an earlier scan kept: no distinct value
 * meets it, and no null row can (a null meets nothing, or, for an int64 column, no null row's
 * blob contains the key). Unknown facts rule nothing out.
 */
async function rulesOut (check: ColumnCheck, group: GroupColumns): Promise<boolean> {
  const facts = await group.peek<ColumnFacts>(factsKey(check.column))
  if (facts === undefined || facts.distinct === null || facts.distinct.some(check.test)) return false
  if (!facts.nulls || check.nulls === undefined) return true
  const keyed = await group.peek<Uint32Array>(keyedKey(check.column))
  return keyed !== undefined && keyed.length === 0
}

/**
 * The rows of a group where a dedicated int64 column is null but the span has the key (with
 * another type): usually none. Found once per row group and open file, so the attributes column
 * is read once, not by every search; a blob is decoded only when it contains the key's bytes.
 */
async function keyedNullRows (group: GroupColumns, column: string, key: string, keyBytes: Uint8Array): Promise<Uint32Array> {
  return await group.memo(keyedKey(column), async () => {
    const values = await group.read(column)
    const keyed: number[] = []
    let blobs: ArrayLike<unknown> | undefined
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== null && values[i] !== undefined) continue
      blobs ??= await group.read(ATTRIBUTES)
      const blob = blobs[i]
      if (blob instanceof Uint8Array && contains(blob, keyBytes) && firstAttribute(decodeKeyValueList(blob), key) !== undefined) keyed.push(i)
    }
    return Uint32Array.from(keyed)
  })
}

const blobCost = (b: BlobCheck): number => b.columns.includes(ATTRIBUTES) ? 1 : 0

function scalarOf (v: unknown): Scalar | undefined {
  return typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number' ? v : undefined
}

function compileConjunction (conds: readonly PrefilterCondition[]): Conjunction {
  const columnChecks: ColumnCheck[] = []
  const blobChecks: BlobCheck[] = []
  for (const c of conds) {
    const col = columnCheck(c)
    if (col !== undefined) columnChecks.push(col)
    else blobChecks.push(blobCheck(c))
  }
  return { columnChecks, blobChecks }
}

function valueTest (c: PrefilterCondition): (v: unknown) => boolean {
  const { op, value } = c
  // Equal strings are equal code point sequences: the same as compareUtf8(...) === 0.
  if (op === '=' && typeof value === 'string') return (v) => v === value
  return (v) => scalarMeets(op, scalarOf(v), value)
}

/** The check on a column that holds the condition's field for its value's type, if one does. */
function columnCheck (c: PrefilterCondition): ColumnCheck | undefined {
  const { field, value } = c
  if (field.scope === 'intrinsic') return { column: INTRINSIC_COLUMNS[field.name], test: valueTest(c) }
  const exact = exactStringColumn(field, value)
  if (exact !== undefined) return { column: exact, test: valueTest(c) }
  if (field.scope === 'span') {
    // An int compares with numbers only (a string or boolean value: NaN, met by no row).
    const d = SPAN_DEDICATED.get(field.key)
    if (d?.kind === 'int64') return { column: d.column, test: valueTest(c), nulls: { key: field.key, keyBytes: Buffer.from(field.key, 'utf8'), check: blobCheck(c) } }
  }
  return undefined
}
