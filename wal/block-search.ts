import type { AsyncBuffer, FileMetaData, Statistics } from 'hyparquet'
import type { TracesData } from '../common/otlp/model.ts'
import type { SearchWindow, SpanPrefilter } from '../common/search/prefilter.ts'
import { matchesNothing, overlapsWindow, rangesMayMatch } from '../common/search/prefilter-eval.ts'
import type { ColumnRange, RangeLookup } from '../common/search/prefilter-eval.ts'
import type { BlockIndex, RowGroupEntry } from './block-index.ts'
import { statsColumn } from './block-search-columns.ts'
import { TRACE_COUNT, countTraces, groupColumns, idAt } from './block-search-group.ts'
import { compileGroupTest } from './block-search-rows.ts'
import { CorruptBlockError } from './errors.ts'
import { MODEL_COLUMNS } from './format/v1.ts'
import { newDecodeCache } from './format/v1-rows.ts'
import type { DecodeCache, Row } from './format/v1-rows.ts'
import type { BlockMeta } from './meta.ts'
import { groupRecords } from './records.ts'
import type { SpanRecord } from './records.ts'

/**
 * Search scans of one block (segment or complete block), for query/search: skip the block by its
 * span time range, skip row groups by the index's time bounds and by column statistics against
 * the prefilter, read the prefilter's columns of the rest as column arrays to find the rows that
 * may meet it (block-search-rows.ts), then trace ids and times only where some row does, and the
 * candidates' full rows last. Pruning is conservative (common/search/prefilter-eval.ts).
 */

/** Bytes read from data.parquet (what hyparquet asked the file for). */
export interface ReadStats { bytesRead: number }

/** Work done by scans, summed over the readers that share the object. */
export interface BlockScanStats extends ReadStats {
  readersScanned: number
  /** Readers skipped whole (time range, or a prefilter that matches nothing). */
  readersSkipped: number
  rowGroupsScanned: number
  rowGroupsSkipped: number
  /** Rows of the row groups scanned (whose prefilter columns were read). */
  rowsScanned: number
  /** Rows read in full (the candidates'). */
  rowsRead: number
  /** Distinct traces among the rows scanned. */
  tracesScanned: number
}

export function newBlockScanStats (): BlockScanStats {
  return { bytesRead: 0, readersScanned: 0, readersSkipped: 0, rowGroupsScanned: 0, rowGroupsSkipped: 0, rowsScanned: 0, rowsRead: 0, tracesScanned: 0 }
}

export interface TraceScanOptions {
  window: SearchWindow
  prefilter: SpanPrefilter | undefined
  signal?: AbortSignal
  stats?: BlockScanStats
}

/** A trace's spans in one block: all of them, not only those that made it a candidate. */
export interface BlockTracePiece {
  traceId: Buffer
  trace: TracesData
}

/** What the scans need of an open block (BlockReader provides it). */
export interface ScanSource {
  readonly meta: BlockMeta
  readonly index: BlockIndex
  readonly metadata: FileMetaData
  readonly path: string
  read (rowStart: number, rowEnd: number, columns: readonly string[], stats?: ReadStats): Promise<Row[]>
  /** A reader of single columns, for one scan (it may keep state between reads). */
  columnReader (stats?: ReadStats): ColumnReader
  record (row: Row, cache: DecodeCache): SpanRecord
  findTrace (traceId: Uint8Array, stats?: ReadStats): Promise<TracesData | null>
}

const FULL_COLUMNS = MODEL_COLUMNS.map((c) => c.name)
const TIME_COLUMNS = ['start_time_unix_nano', 'end_time_unix_nano']

/** Reads one column of rows [rowStart, rowEnd), which lie in one row group, as an array (null where null). */
export interface ColumnReader {
  read (rowStart: number, rowEnd: number, column: string): Promise<ArrayLike<unknown>>
}

/** An AsyncBuffer that adds every byte range it serves to `stats.bytesRead`. */
export function countingBuffer (file: AsyncBuffer, stats: ReadStats): AsyncBuffer {
  return {
    byteLength: file.byteLength,
    slice (start: number, end?: number) {
      stats.bytesRead += Math.max(0, Math.min(end ?? file.byteLength, file.byteLength) - start)
      return file.slice(start, end)
    },
  }
}

const statsByFile = new WeakMap<FileMetaData, Map<string, Statistics>[]>()

/** Column name → the row group's statistics of that column (computed once per file). */
export function groupColumnStats (metadata: FileMetaData, group: number): ReadonlyMap<string, Statistics> {
  let all = statsByFile.get(metadata)
  if (all === undefined) {
    all = metadata.row_groups.map((rg) => {
      const m = new Map<string, Statistics>()
      for (const c of rg.columns) {
        const name = c.meta_data?.path_in_schema[0]
        const s = c.meta_data?.statistics
        if (name !== undefined && s !== undefined) m.set(name, s)
      }
      return m
    })
    statsByFile.set(metadata, all)
  }
  return all[group] ?? new Map()
}

function scalarStat (v: unknown): string | bigint | number | undefined {
  return typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number' ? v : undefined
}

/**
 * Whether a bound is a value that occurs. hyparquet does not surface is_*_exact, so: numbers are
 * never truncated; strings are truncated to 16 bytes (hyparquet-writer) at a character boundary,
 * so a bound of at most 12 UTF-8 bytes is whole.
 */
function exactBound (v: string | bigint | number | undefined, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag
  return typeof v === 'string' ? Buffer.byteLength(v) <= 12 : v !== undefined
}

/** A column's statistics as a ColumnRange, or undefined when it has none (or no null count). */
export function columnRange (s: Statistics | undefined, rows: number, nullsMayMatch: boolean): ColumnRange | undefined {
  if (s === undefined || s.null_count === undefined) return undefined
  const min = scalarStat(s.min_value)
  const max = scalarStat(s.max_value)
  return { rows, nullCount: Number(s.null_count), min, max, minExact: exactBound(min, s.is_min_value_exact), maxExact: exactBound(max, s.is_max_value_exact), nullsMayMatch }
}

/** The one value a column holds in a row group (no nulls, min = max, exact), else undefined. */
export function singleValue (s: Statistics | undefined): string | bigint | number | undefined {
  if (s === undefined || s.null_count !== 0n) return undefined
  const min = scalarStat(s.min_value)
  return min !== undefined && min === s.max_value && exactBound(min, s.is_min_value_exact) ? min : undefined
}

function rangeLookup (metadata: FileMetaData, group: number, rows: number): RangeLookup {
  const stats = groupColumnStats(metadata, group)
  return (field, value) => {
    const col = statsColumn(field, value)
    return col === undefined ? undefined : columnRange(stats.get(col.column), rows, col.nullsMayMatch)
  }
}

function groupOverlaps (g: RowGroupEntry, window: SearchWindow): boolean {
  return overlapsWindow(g.minStartUnixNano, g.maxEndUnixNano, window)
}

function sameId (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function idOf (row: Row, path: string): Uint8Array {
  const v = row.trace_id
  if (v instanceof Uint8Array) return v
  throw new CorruptBlockError(path, 'trace_id is not bytes')
}

function bigintOf (row: Row, column: string, path: string): bigint {
  const v = row[column]
  if (typeof v === 'bigint') return v
  throw new CorruptBlockError(path, `${column} is not a bigint`)
}

function bigintAt (values: ArrayLike<unknown>, i: number, column: string, path: string): bigint {
  const v = values[i]
  if (typeof v === 'bigint') return v
  throw new CorruptBlockError(path, `${column} is not a bigint`)
}

/** Whether the row group's first or last trace continues in a neighbouring group. */
function sharesBorder (groups: readonly RowGroupEntry[], g: number): boolean {
  return (g > 0 && sameId(groups[g - 1]!.maxTraceId, groups[g]!.minTraceId)) || (g + 1 < groups.length && sameId(groups[g]!.maxTraceId, groups[g + 1]!.minTraceId))
}

/** Consecutive rows of one trace within a row group. */
interface Run { id: Uint8Array, first: number, end: number, overlaps: boolean, meets: boolean }

/**
 * The traces of the block that may match: one of their spans overlaps the window and one may
 * meet the prefilter. Yields each such trace once, whole (every span this block holds of it),
 * in trace-id order. Checks `signal` before every row group.
 *
 * Row groups end at trace boundaries when block-writer.ts writes them, but a trace crossing a
 * border is handled: such a trace is a candidate when either part shows an overlap or a
 * prefilter match (the other part may hold the rest), and is read whole through the index.
 */
export async function * scanTraces (src: ScanSource, opts: TraceScanOptions): AsyncGenerator<BlockTracePiece> {
  const { window, prefilter, signal } = opts
  const stats = opts.stats ?? newBlockScanStats()
  if (matchesNothing(prefilter) || !overlapsWindow(src.meta.spanStartTimeUnixNano, src.meta.spanEndTimeUnixNano, window)) {
    stats.readersSkipped++
    return
  }
  stats.readersScanned++
  const test = prefilter === undefined ? undefined : compileGroupTest(prefilter)
  const reader = src.columnReader(stats)
  const groups = src.index.rowGroups
  const yielded = new Set<string>()
  for (let g = 0; g < groups.length; g++) {
    signal?.throwIfAborted()
    const grp = groups[g]!
    if (!groupOverlaps(grp, window) || !rangesMayMatch(prefilter, rangeLookup(src.metadata, g, grp.rowCount))) {
      stats.rowGroupsSkipped++
      continue
    }
    stats.rowGroupsScanned++
    stats.rowsScanned += grp.rowCount
    const cols = groupColumns(reader, src.metadata, g, grp, src.path)
    // The trace ids are needed unless an earlier scan counted the group's traces: read them
    // while the prefilter is evaluated.
    if (cols.peek(TRACE_COUNT) === undefined) void cols.read('trace_id')
    const meets = test === undefined ? null : await test.rows(cols)
    if (meets !== null && meets.count === 0 && !sharesBorder(groups, g)) {
      // No candidate here: only the group's trace count is needed (tracesScanned).
      stats.tracesScanned += await cols.memo(TRACE_COUNT, async () => countTraces(await cols.read('trace_id'), src.path))
      continue
    }
    // Some row may meet (or a trace continues next door): trace ids and times decide the runs.
    const wholly = whollyIn(groupColumnStats(src.metadata, g), window)
    const [ids, starts, ends] = await Promise.all([
      cols.read('trace_id'),
      wholly ? null : cols.read(TIME_COLUMNS[0]!),
      wholly ? null : cols.read(TIME_COLUMNS[1]!),
    ])
    const n = ids.length
    let traces = 0
    const inside: Run[] = []
    const crossing: Uint8Array[] = []
    const finish = (run: Run): void => {
      const fromPrev = run.first === 0 && g > 0 && sameId(groups[g - 1]!.maxTraceId, run.id)
      const intoNext = run.end === n && g + 1 < groups.length && sameId(groups[g + 1]!.minTraceId, run.id)
      if (fromPrev || intoNext) {
        if (run.overlaps || run.meets) crossing.push(run.id)
      } else if (run.overlaps && run.meets) {
        inside.push(run)
      }
    }
    let run: Run | null = null
    for (let i = 0; i < n; i++) {
      const id = idAt(ids, i, src.path)
      if (run === null || (id !== run.id && !sameId(run.id, id))) {
        if (run !== null) finish(run)
        run = { id, first: i, end: i, overlaps: wholly, meets: meets === null }
        traces++
      }
      run.end = i + 1
      if (!run.overlaps) run.overlaps = overlapsWindow(bigintAt(starts!, i, TIME_COLUMNS[0]!, src.path), bigintAt(ends!, i, TIME_COLUMNS[1]!, src.path), window)
      if (!run.meets) run.meets = meets!.mask[i] === 1
    }
    if (run !== null) finish(run)
    stats.tracesScanned += traces
    void cols.memo(TRACE_COUNT, async () => traces)
    yield * readRuns(src, grp, inside, stats)
    for (const id of crossing) {
      const key = Buffer.from(id).toString('hex')
      if (yielded.has(key)) continue
      yielded.add(key)
      const trace = await src.findTrace(id, stats)
      if (trace !== null) yield { traceId: Buffer.from(id), trace }
    }
  }
}

/** Reads the full rows spanning the runs (one read per row group) and yields each run's trace. */
async function * readRuns (src: ScanSource, grp: RowGroupEntry, runs: readonly Run[], stats: BlockScanStats): AsyncGenerator<BlockTracePiece> {
  if (runs.length === 0) return
  const from = runs[0]!.first
  const to = runs[runs.length - 1]!.end
  const rows = await src.read(grp.firstRow + from, grp.firstRow + to, FULL_COLUMNS, stats)
  stats.rowsRead += rows.length
  if (rows.length !== to - from) throw new CorruptBlockError(src.path, `read ${rows.length} rows, expected ${to - from}`)
  const cache = newDecodeCache()
  for (const r of runs) {
    const records: SpanRecord[] = []
    for (let i = r.first - from; i < r.end - from; i++) {
      const row = rows[i]!
      if (!sameId(idOf(row, src.path), r.id)) throw new CorruptBlockError(src.path, 'rows moved between reads')
      records.push(src.record(row, cache))
    }
    yield { traceId: Buffer.from(r.id), trace: groupRecords(records) }
  }
}

/** A row group as a row scan's column chooser sees it. */
export interface RowGroupView {
  readonly index: number
  readonly rowCount: number
  /** Every span of the group overlaps the window (rows then need no time check). */
  readonly whollyInWindow: boolean
  /** The group's statistics of a column (undefined: none written). */
  stats (column: string): Statistics | undefined
}

export interface RowScanOptions {
  window: SearchWindow
  signal?: AbortSignal
  stats?: BlockScanStats
  /** The columns to read from this group, or null to skip it. */
  columns: (group: RowGroupView) => readonly string[] | null
}

/**
 * The rows (chosen columns only) of the spans overlapping the window, one array per row group
 * read (tag names and values). Checks `signal` before every row group.
 */
export async function * scanRows (src: ScanSource, opts: RowScanOptions): AsyncGenerator<Row[]> {
  const { window, signal } = opts
  const stats = opts.stats ?? newBlockScanStats()
  if (!overlapsWindow(src.meta.spanStartTimeUnixNano, src.meta.spanEndTimeUnixNano, window)) {
    stats.readersSkipped++
    return
  }
  stats.readersScanned++
  const groups = src.index.rowGroups
  for (let g = 0; g < groups.length; g++) {
    signal?.throwIfAborted()
    const grp = groups[g]!
    if (!groupOverlaps(grp, window)) {
      stats.rowGroupsSkipped++
      continue
    }
    const colStats = groupColumnStats(src.metadata, g)
    const view: RowGroupView = {
      index: g,
      rowCount: grp.rowCount,
      whollyInWindow: whollyIn(colStats, window),
      stats: (column) => colStats.get(column),
    }
    const columns = opts.columns(view)
    if (columns === null) {
      stats.rowGroupsSkipped++
      continue
    }
    stats.rowGroupsScanned++
    const read = view.whollyInWindow ? columns : [...new Set([...columns, ...TIME_COLUMNS])]
    if (read.length === 0) continue
    const rows = await src.read(grp.firstRow, grp.firstRow + grp.rowCount, read, stats)
    stats.rowsScanned += rows.length
    const kept = view.whollyInWindow ? rows : rows.filter((r) => overlapsWindow(bigintOf(r, TIME_COLUMNS[0]!, src.path), bigintOf(r, TIME_COLUMNS[1]!, src.path), window))
    if (kept.length > 0) yield kept
  }
}

/** Whether every span overlaps the window, by the time columns' statistics. */
function whollyIn (stats: ReadonlyMap<string, Statistics>, window: SearchWindow): boolean {
  if (window.startUnixNano !== undefined) {
    const minEnd = stats.get('end_time_unix_nano')?.min_value
    if (typeof minEnd !== 'bigint' || minEnd < window.startUnixNano) return false
  }
  if (window.endUnixNano !== undefined) {
    const maxStart = stats.get('start_time_unix_nano')?.max_value
    if (typeof maxStart !== 'bigint' || maxStart > window.endUnixNano) return false
  }
  return true
}
