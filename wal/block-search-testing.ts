import assert from 'node:assert/strict'
import { parquetMetadata, parquetReadObjects, parquetScan } from 'hyparquet'
import type { AsyncBuffer } from 'hyparquet'
import { ByteWriter, parquetWrite } from 'hyparquet-writer'
import type { TracesData } from '../common/otlp/model.ts'
import { candidateRows } from './block-index.ts'
import type { BlockIndex, RowGroupEntry } from './block-index.ts'
import type { ScanSource } from './block-search.ts'
import { PARQUET_SCHEMA, columnSources } from './format/v1.ts'
import { newDecodeCache, recordsToColumns, rowToRecord } from './format/v1-rows.ts'
import type { Row } from './format/v1-rows.ts'
import type { BlockMeta } from './meta.ts'
import { zstdCompressors, zstdDecompressors } from './parquet-io.ts'
import { flattenTraces, groupRecords, sortRecords } from './records.ts'

/** A read a MemorySource served: rows and columns. */
export interface SourceRead { rowStart: number, rowEnd: number, columns: readonly string[] }

export interface MemorySource extends ScanSource {
  /** Every read so far, in order (row reads and single-column reads). */
  readonly reads: SourceRead[]
  /** Makes the next `n` column reads fail (to test that failures are not remembered). */
  failColumnReads (n: number): void
}

/**
 * A block in memory, for block-search tests: `traces` in row groups of `groupRows` rows each,
 * which may cut traces in the middle (block-writer.ts never does so).
 */
export function memorySource (traces: TracesData[], groupRows: number): MemorySource {
  const records = sortRecords(flattenTraces(traces))
  const sizes: number[] = []
  for (let left = records.length; left > 0; left -= groupRows) sizes.push(Math.min(groupRows, left))
  const writer = new ByteWriter()
  // Synchronous into a ByteWriter (as block-writer.ts relies on).
  const done = parquetWrite({ writer, columnData: columnSources(recordsToColumns(records)), schema: [...PARQUET_SCHEMA], codec: 'ZSTD', compressors: zstdCompressors(), rowGroupSize: sizes })
  assert.ok(!(done instanceof Promise))
  const bytes = writer.getBytes()
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  const file: AsyncBuffer = { byteLength: buffer.byteLength, slice: async (s, e) => buffer.slice(s, e) }
  const metadata = parquetMetadata(buffer)
  const rowGroups: RowGroupEntry[] = []
  let first = 0
  for (const n of sizes) {
    const rs = records.slice(first, first + n)
    rowGroups.push({
      firstRow: first,
      rowCount: n,
      minTraceId: rs[0]!.span.traceId,
      maxTraceId: rs[n - 1]!.span.traceId,
      minStartUnixNano: rs.reduce((m, r) => r.span.startTimeUnixNano < m ? r.span.startTimeUnixNano : m, rs[0]!.span.startTimeUnixNano),
      maxEndUnixNano: rs.reduce((m, r) => r.span.endTimeUnixNano > m ? r.span.endTimeUnixNano : m, rs[0]!.span.endTimeUnixNano),
    })
    first += n
  }
  const anchors = records.flatMap((r, i) => i === 0 || !r.span.traceId.equals(records[i - 1]!.span.traceId) ? [{ traceId: r.span.traceId, firstRow: i }] : [])
  const index: BlockIndex = { rowGroups, anchors, anchorEvery: 1 }
  const meta = { spanStartTimeUnixNano: 0n, spanEndTimeUnixNano: (1n << 64n) - 1n, spanCount: records.length } as BlockMeta
  const reads: SourceRead[] = []
  let failures = 0
  const read = async (rowStart: number, rowEnd: number, columns: readonly string[]): Promise<Row[]> => {
    reads.push({ rowStart, rowEnd, columns })
    return await parquetReadObjects({ file, metadata, columns: [...columns], rowStart, rowEnd, utf8: false, compressors: zstdDecompressors })
  }
  return {
    meta,
    index,
    metadata,
    path: 'memory',
    reads,
    failColumnReads (n) { failures = n },
    read,
    columnReader: () => ({
      read: async (rowStart, rowEnd, column) => {
        if (failures > 0) {
          failures--
          throw new Error(`failed read of ${column}`)
        }
        reads.push({ rowStart, rowEnd, columns: [column] })
        const scan = await parquetScan({ file, metadata, utf8: false, compressors: zstdDecompressors })
        return await scan.readColumn({ column, rowStart, rowEnd })
      },
    }),
    record: (row, cache) => rowToRecord(row, cache),
    async findTrace (id) {
      const range = candidateRows(index, id, records.length)
      if (range === null) return null
      const cache = newDecodeCache()
      const rows = (await read(range.rowStart, range.rowEnd, PARQUET_SCHEMA.slice(1).map((e) => e.name))).filter((r) => Buffer.from(r.trace_id as Uint8Array).equals(id))
      return rows.length === 0 ? null : groupRecords(rows.map((r) => rowToRecord(r, cache)))
    },
  }
}
