import { open, readFile, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { parquetMetadataAsync, parquetReadObjects, parquetScan } from 'hyparquet'
import type { AsyncBuffer, FileMetaData, ParquetScan } from 'hyparquet'
import type { TracesData } from '../common/otlp/model.ts'
import { BloomFilter } from './bloom.ts'
import { TRACE_ID_BYTES, candidateRows, decodeIndex } from './block-index.ts'
import type { BlockIndex } from './block-index.ts'
import { countingBuffer, scanRows, scanTraces } from './block-search.ts'
import type { BlockTracePiece, ColumnReader, ReadStats, RowScanOptions, ScanSource, TraceScanOptions } from './block-search.ts'
import { CorruptBlockError } from './errors.ts'
import { MODEL_COLUMNS } from './format/v1.ts'
import { newDecodeCache, rowToRecord } from './format/v1-rows.ts'
import type { Row } from './format/v1-rows.ts'
import { BLOCK_FILES, BLOOM_FILE, DATA_FILE, INDEX_FILE, META_FILE, decodeMeta } from './meta.ts'
import type { BlockFile, BlockMeta } from './meta.ts'
import { fileAsyncBuffer, zstdDecompressors } from './parquet-io.ts'
import { groupRecords } from './records.ts'
import type { SpanRecord } from './records.ts'

/**
 * Reads a block written by block-writer.ts. `openBlock` checks everything cheap up front (meta,
 * sizes and checksums of bloom and index, the Parquet footer against the meta) so a damaged block
 * fails at open with a CorruptBlockError naming the file, not halfway through a query.
 */
export interface OpenBlockOptions {
  /** Also check data.parquet's CRC-32 (reads the whole file; default false). */
  verifyData?: boolean
}

/** Which spans `spans()` yields: those overlapping [startUnixNano, endUnixNano], of a service. */
export interface SpanFilter {
  startUnixNano?: bigint
  endUnixNano?: bigint
  serviceName?: string
}

const READ_COLUMNS = MODEL_COLUMNS.map((c) => c.name)

export async function openBlock (path: string, options: OpenBlockOptions = {}): Promise<BlockReader> {
  const metaPath = join(path, META_FILE)
  const meta = decodeMeta(await readOrCorrupt(metaPath), metaPath)
  for (const name of BLOCK_FILES) {
    const p = join(path, name)
    const size = await stat(p).then((s) => s.size, (err: unknown) => { throw new CorruptBlockError(p, 'missing or unreadable', { cause: err }) })
    if (size !== meta.files[name].size) throw new CorruptBlockError(p, `size ${size}, meta.json says ${meta.files[name].size} (truncated?)`)
  }
  const bloom = decodeChecked(path, BLOOM_FILE, meta, (b) => BloomFilter.decode(b), await readOrCorrupt(join(path, BLOOM_FILE), true))
  const index = decodeChecked(path, INDEX_FILE, meta, decodeIndex, await readOrCorrupt(join(path, INDEX_FILE), true))
  const dataPath = join(path, DATA_FILE)
  if (options.verifyData === true) decodeChecked(path, DATA_FILE, meta, () => null, await readOrCorrupt(dataPath, true))
  const fh = await open(dataPath, 'r')
  try {
    const file = fileAsyncBuffer(fh, meta.files[DATA_FILE].size, dataPath)
    let metadata: FileMetaData
    try {
      metadata = await parquetMetadataAsync(file)
    } catch (err) {
      throw err instanceof CorruptBlockError ? err : new CorruptBlockError(dataPath, 'unreadable Parquet footer', { cause: err })
    }
    if (Number(metadata.num_rows) !== meta.spanCount || metadata.row_groups.length !== meta.rowGroupCount) {
      throw new CorruptBlockError(dataPath, `holds ${metadata.num_rows} rows in ${metadata.row_groups.length} groups, meta.json says ${meta.spanCount} in ${meta.rowGroupCount}`)
    }
    if (index.rowGroups.length !== meta.rowGroupCount) throw new CorruptBlockError(join(path, INDEX_FILE), 'row groups do not match meta.json')
    return new BlockReader(path, meta, bloom, index, fh, file, metadata)
  } catch (err) {
    await fh.close()
    throw err
  }
}

async function readOrCorrupt (p: string): Promise<string>
async function readOrCorrupt (p: string, binary: true): Promise<Buffer>
async function readOrCorrupt (p: string, binary = false): Promise<string | Buffer> {
  try {
    return binary ? await readFile(p) : await readFile(p, 'utf8')
  } catch (err) {
    throw new CorruptBlockError(p, 'missing or unreadable', { cause: err })
  }
}

function decodeChecked<T> (dir: string, name: BlockFile, meta: BlockMeta, decode: (b: Buffer) => T, bytes: Buffer): T {
  const p = join(dir, name)
  if (bytes.length !== meta.files[name].size || crc32(bytes) !== meta.files[name].crc32) throw new CorruptBlockError(p, 'checksum does not match meta.json')
  try {
    return decode(bytes)
  } catch (err) {
    throw new CorruptBlockError(p, err instanceof Error ? err.message : String(err), { cause: err })
  }
}

export class BlockReader {
  readonly #fh: FileHandle
  readonly #file: AsyncBuffer
  readonly #metadata: FileMetaData
  readonly #bloom: BloomFilter
  readonly #index: BlockIndex
  #closed = false

  constructor (readonly path: string, readonly meta: BlockMeta, bloom: BloomFilter, index: BlockIndex, fh: FileHandle, file: AsyncBuffer, metadata: FileMetaData) {
    this.#bloom = bloom
    this.#index = index
    this.#fh = fh
    this.#file = file
    this.#metadata = metadata
  }

  get traceCount (): number { return this.meta.traceCount }
  get spanCount (): number { return this.meta.spanCount }
  get timeRange (): { startUnixNano: bigint, endUnixNano: bigint } {
    return { startUnixNano: this.meta.startTimeUnixNano, endUnixNano: this.meta.endTimeUnixNano }
  }

  /** False when the block certainly lacks the trace (bloom filter); true means "maybe". */
  mayContain (traceId: Uint8Array): boolean {
    return traceId.length === TRACE_ID_BYTES && this.#bloom.mayContain(traceId)
  }

  /**
   * The trace's spans in this block (grouped by resource and scope), or null if it has none.
   * `stats` (optional) counts the bytes read.
   */
  async findTrace (traceId: Uint8Array, stats?: ReadStats): Promise<TracesData | null> {
    if (!this.mayContain(traceId)) return null
    const range = candidateRows(this.#index, traceId, this.meta.spanCount)
    if (range === null) return null
    const rows = await this.#read(range.rowStart, range.rowEnd, READ_COLUMNS, stats)
    const id = Buffer.from(traceId.buffer, traceId.byteOffset, traceId.byteLength)
    const cache = newDecodeCache()
    const records: SpanRecord[] = []
    for (const row of rows) {
      const rowId = row.trace_id
      if (rowId instanceof Uint8Array && id.equals(rowId)) records.push(this.#record(row, cache))
    }
    return records.length === 0 ? null : groupRecords(records)
  }

  /** Every span (in trace id, start time order) matching `filter`, one row group at a time. */
  async * spans (filter: SpanFilter = {}): AsyncGenerator<SpanRecord> {
    const { startUnixNano, endUnixNano, serviceName } = filter
    for (const g of this.#index.rowGroups) {
      if (startUnixNano !== undefined && g.maxEndUnixNano < startUnixNano) continue
      if (endUnixNano !== undefined && g.minStartUnixNano > endUnixNano) continue
      const rows = await this.#read(g.firstRow, g.firstRow + g.rowCount, serviceName === undefined ? READ_COLUMNS : [...READ_COLUMNS, 'resource_service_name'])
      const cache = newDecodeCache()
      for (const row of rows) {
        if (serviceName !== undefined && row.resource_service_name !== serviceName) continue
        const rec = this.#record(row, cache)
        if (startUnixNano !== undefined && rec.span.endTimeUnixNano < startUnixNano) continue
        if (endUnixNano !== undefined && rec.span.startTimeUnixNano > endUnixNano) continue
        yield rec
      }
    }
  }

  /**
   * Search: the block's traces that may match the window and prefilter, each whole, pruning by
   * time and column statistics first (block-search.ts).
   */
  searchTraces (opts: TraceScanOptions): AsyncGenerator<BlockTracePiece> {
    return scanTraces(this.#scanSource(), opts)
  }

  /** Search: rows (chosen columns) of the spans overlapping a window, per row group (block-search.ts). */
  scanRows (opts: RowScanOptions): AsyncGenerator<Row[]> {
    return scanRows(this.#scanSource(), opts)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#fh.close()
  }

  #scanSource (): ScanSource {
    return {
      meta: this.meta,
      index: this.#index,
      metadata: this.#metadata,
      path: join(this.path, DATA_FILE),
      read: (rowStart, rowEnd, columns, stats) => this.#read(rowStart, rowEnd, columns, stats),
      columnReader: (stats) => this.#columnReader(stats),
      record: (row, cache) => this.#record(row, cache),
      findTrace: (traceId, stats) => this.findTrace(traceId, stats),
    }
  }

  async #read (rowStart: number, rowEnd: number, columns: readonly string[] = READ_COLUMNS, stats?: ReadStats): Promise<Row[]> {
    if (this.#closed) throw new Error(`block ${this.path} is closed`)
    try {
      return await parquetReadObjects({
        file: stats === undefined ? this.#file : countingBuffer(this.#file, stats),
        metadata: this.#metadata,
        columns: [...columns],
        rowStart,
        rowEnd,
        utf8: false,
        useOffsetIndex: true,
        compressors: zstdDecompressors,
      })
    } catch (err) {
      throw err instanceof CorruptBlockError ? err : new CorruptBlockError(join(this.path, DATA_FILE), `rows ${rowStart}..${rowEnd}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }

  /** Single columns through one hyparquet scan (planned once, read lazily per column and range). */
  #columnReader (stats?: ReadStats): ColumnReader {
    let scan: Promise<ParquetScan> | undefined
    return {
      read: async (rowStart, rowEnd, column) => {
        if (this.#closed) throw new Error(`block ${this.path} is closed`)
        try {
          scan ??= parquetScan({
            file: stats === undefined ? this.#file : countingBuffer(this.#file, stats),
            metadata: this.#metadata,
            utf8: false,
            compressors: zstdDecompressors,
          })
          return await (await scan).readColumn({ column, rowStart, rowEnd })
        } catch (err) {
          throw err instanceof CorruptBlockError ? err : new CorruptBlockError(join(this.path, DATA_FILE), `${column} of rows ${rowStart}..${rowEnd}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
        }
      },
    }
  }

  #record (row: Row, cache: ReturnType<typeof newDecodeCache>): SpanRecord {
    try {
      return rowToRecord(row, cache)
    } catch (err) {
      throw new CorruptBlockError(join(this.path, DATA_FILE), err instanceof Error ? err.message : String(err), { cause: err })
    }
  }
}
