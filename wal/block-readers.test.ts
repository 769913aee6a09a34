import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { generateTraces } from '../tools/index.ts'
import { writeBlock } from './block-writer.ts'
import { COLUMNS } from './format/v1.ts'
import type { BlockMeta } from './meta.ts'
import { zstdDecompressors } from './parquet-io.ts'
import { flattenTraces } from './records.ts'
import { fixedClock, tempDir } from './testing/tmp.ts'

/** Independent readers (DuckDB, plain hyparquet) open what the block writer writes. */
const dir = tempDir()
let meta: BlockMeta
let dataPath: string
const traces = [generateTraces({ seed: 11, traces: 300, now: 1_763_700_000_000 })]
// One span far beyond 2^63 ns, so unsigned 64-bit handling is exercised by every reader.
const extreme = flattenTraces(traces)[0]!.span
extreme.endTimeUnixNano = (1n << 64n) - 3n

before(async () => {
  meta = await writeBlock({ dir: dir.path, tenant: 't', partition: 1, blockId: 'ind', traces, offsetRange: { first: 0n, last: 9n }, clock: fixedClock(), options: { rowGroupRows: 1000 } })
  dataPath = join(dir.path, 'ind', 'data.parquet')
})
after(() => dir.remove())

describe('independent readers', () => {
  it('DuckDB returns the span count and time range of meta.json', async () => {
    const instance = await DuckDBInstance.create(':memory:')
    const conn = await instance.connect()
    try {
      const reader = await conn.runAndReadAll(`SELECT count(*)::VARCHAR AS n, min(start_time_unix_nano)::VARCHAR AS lo, max(end_time_unix_nano)::VARCHAR AS hi,
        count(DISTINCT trace_id)::VARCHAR AS traces FROM read_parquet('${dataPath}')`)
      const [row] = reader.getRowObjects()
      assert.ok(row !== undefined)
      assert.equal(row.n, String(meta.spanCount))
      assert.equal(row.traces, String(meta.traceCount))
      assert.equal(row.lo, meta.spanStartTimeUnixNano.toString())
      assert.equal(row.hi, meta.spanEndTimeUnixNano.toString())
      assert.equal(meta.spanEndTimeUnixNano, (1n << 64n) - 3n)
      const svc = await conn.runAndReadAll(`SELECT count(*)::VARCHAR AS n FROM read_parquet('${dataPath}') WHERE resource_service_name = 'frontend' AND span_http_status_code IS NOT NULL`)
      assert.ok(Number(svc.getRowObjects()[0]?.n) > 0)
    } finally {
      conn.closeSync()
      instance.closeSync()
    }
  })

  it('hyparquet reads every column with the v1 types', async () => {
    const buf = await readFile(dataPath)
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
    const metadata = parquetMetadata(file)
    assert.deepStrictEqual(metadata.schema.slice(1).map((e) => e.name), COLUMNS.map((c) => c.name))
    assert.equal(metadata.key_value_metadata?.find((kv) => kv.key === 'livestore.block.format_version')?.value, '1')
    const rows = await parquetReadObjects({ file, utf8: false, compressors: zstdDecompressors })
    assert.equal(rows.length, meta.spanCount)
    for (const c of COLUMNS) {
      const values = rows.map((r) => r[c.name] as unknown)
      const nonNull = values.filter((v) => v !== null)
      if (!c.nullable) assert.equal(nonNull.length, values.length, `${c.name} has nulls`)
      const expect = { traceId: 'bytes', bytes: 'bytes', string: 'string', int32: 'number', uint32: 'number', uint64: 'bigint', int64: 'bigint' }[c.kind]
      for (const v of nonNull) assert.equal(v instanceof Uint8Array ? 'bytes' : typeof v, expect, `${c.name}: ${typeof v}`)
    }
    assert.ok(rows.every((r) => (r.trace_id as Uint8Array).length === 16))
    assert.ok(rows.some((r) => r.span_http_method !== null && r.span_db_system !== undefined))
  })
})
