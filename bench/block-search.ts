import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { SearchWindow, SpanPrefilter } from '../common/search/prefilter.ts'
import { derivePrefilter, parseTraceQL } from '../query/traceql/index.ts'
import { generateTraces } from '../tools/index.ts'
import { newBlockScanStats, openBlock } from '../wal/index.ts'
import type { BlockReader, BlockScanStats } from '../wal/index.ts'
import { countSpans, writeStampedBlocks } from './helpers/blocks.ts'
import { quantile } from './helpers/http.ts'
import { report } from './report.ts'

/**
 * BlockReader.searchTraces alone, without HTTP or the TraceQL engine: `--spans` of realistic
 * traces written as complete blocks (as bench/search.ts writes them), then each query's
 * prefilter scanned over the blocks, newest first, one block after another, `--runs` times,
 * stopping after `--limit` candidate traces (as a search with Tempo's default limit stops;
 * 0 = never). Reports p50/p99 per query, warm (the same open blocks every run, as a node
 * serving queries sees them) and cold (blocks opened afresh before each run, as the first
 * search after they load sees them: nothing learnt by earlier scans), with the scan's work
 * (row groups scanned, rows, bytes read) of the last run. Queries expressible on the typed
 * columns also run in DuckDB over the same files (`*_duckdb_*` lines; `--duckdb false` skips).
 *
 *   npm run bench -- block-search [--spans 1000000] [--traces-per-block 2000] [--runs 20] [--limit 20] [--query rare_miss] [--duckdb false]
 */
const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    'traces-per-block': { type: 'string', default: '2000' },
    runs: { type: 'string', default: '20' },
    limit: { type: 'string', default: '20' },
    query: { type: 'string' },
    duckdb: { type: 'string', default: 'true' },
  },
})
const B = 'block-search'
const targetSpans = Number(values.spans)
const perBlock = Number(values['traces-per-block'])
const runs = Number(values.runs)
const limit = Number(values.limit)
if (loadavg()[0]! > 1) console.error(`${B}: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

/** The queries of bench/search.ts whose prefilter decides the scan's cost. */
const QUERIES: { name: string, q: string, sql?: string }[] = [
  { name: 'rare_miss', q: '{ resource.service.name = "frontend" && span.http.status_code = 418 }', sql: "resource_service_name = 'frontend' AND span_http_status_code = 418" },
  { name: 'service_errors', q: '{ resource.service.name = "payment" && status = error }', sql: "resource_service_name = 'payment' AND status_code = 2" },
  { name: 'http_5xx', q: '{ span.http.status_code >= 500 }', sql: 'span_http_status_code >= 500' },
  { name: 'db_slow', q: '{ span.db.system = "postgresql" && duration > 5ms }', sql: "span_db_system = 'postgresql' AND duration_nano > 5000000" },
  // No SQL: cache.hit has no dedicated column; in SQL it lives in the protobuf attribute blob.
  { name: 'generic_attr', q: '{ span.cache.hit = false }' },
]

interface Run { ms: number, candidates: number, stats: BlockScanStats }

/** One search over the blocks, newest block first as the store scans them, up to `limit` candidates. */
async function searchOnce (readers: readonly BlockReader[], window: SearchWindow, prefilter: SpanPrefilter | undefined): Promise<Run> {
  const stats = newBlockScanStats()
  let candidates = 0
  const t0 = performance.now()
  scan: for (const reader of readers) {
    for await (const piece of reader.searchTraces({ window, prefilter, stats })) {
      if (piece.trace.resourceSpans.length > 0) candidates++
      if (limit > 0 && candidates >= limit) break scan
    }
  }
  return { ms: performance.now() - t0, candidates, stats }
}

const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-block-search-'))
let readers: BlockReader[] = []
let duck: DuckDBConnection | undefined
const blockIds: string[] = []
let exitCode = 0
try {
  const now = Date.now()
  const data = generateTraces({ seed: 21, traces: perBlock, now })
  const blockCount = Math.max(1, Math.round(targetSpans / countSpans(data)))
  const written = await writeStampedBlocks({ dir, tenant: 'bench', data, blocks: blockCount })
  const spans = written.reduce((n, w) => n + w.meta.spanCount, 0)
  blockIds.push(...written.map((w) => w.meta.blockId).reverse()) // newest first, as the store scans
  const reopen = async (): Promise<void> => {
    for (const r of readers) await r.close()
    readers = await Promise.all(blockIds.map((id) => openBlock(join(dir, id))))
  }
  await reopen()
  report(B, 'setup_block_spans', spans, 'spans', { blocks: blockCount, tracesPerBlock: perBlock })
  const window = { startUnixNano: BigInt(now - 3_600_000) * 1_000_000n, endUnixNano: BigInt(Date.now() + 3_600_000) * 1_000_000n }
  for (const { name, q, sql } of QUERIES.filter((x) => values.query === undefined || x.name === values.query)) {
    const prefilter = derivePrefilter(parseTraceQL(q))
    // Warm: the same readers every run (two warm-up runs first). Cold: freshly opened readers
    // every run (untimed), as the first search after blocks load sees them.
    for (const mode of ['warm', 'cold'] as const) {
      const lat: number[] = []
      let last: Run | undefined
      for (let r = 0; r < runs + 2; r++) {
        if (mode === 'cold') await reopen()
        last = await searchOnce(readers, window, prefilter)
        if (r >= 2) lat.push(last.ms)
      }
      lat.sort((a, b) => a - b)
      const w = last!.stats
      const params = { query: q, mode, runs, limit, candidates: last!.candidates, rowGroupsScanned: w.rowGroupsScanned, rowGroupsSkipped: w.rowGroupsSkipped, rowsScanned: w.rowsScanned, rowsRead: w.rowsRead, bytesRead: w.bytesRead, totalSpans: spans }
      const suffix = mode === 'warm' ? '' : '_cold'
      report(B, `${name}${suffix}_p50_ms`, quantile(lat, 0.5), 'ms', params)
      report(B, `${name}${suffix}_p99_ms`, quantile(lat, 0.99), 'ms', params)
    }
    if (sql !== undefined && values.duckdb !== 'false') await duckdbSide(name, sql)
  }

  /**
   * The same candidate discovery in DuckDB (the issue's alternative engine): SQL over the
   * blocks' data files on the typed intrinsic and dedicated columns, distinct trace ids up to
   * `limit`. It yields ids only; the JavaScript scan above also reads the candidates' whole
   * traces, so this side is favoured.
   */
  async function duckdbSide (name: string, where: string): Promise<void> {
    duck ??= await (await DuckDBInstance.create(':memory:')).connect()
    const files = blockIds.map((id) => `'${join(dir, id, 'data.parquet')}'`).join(', ')
    const text = `SELECT DISTINCT trace_id FROM read_parquet([${files}]) WHERE ${where}${limit > 0 ? ` LIMIT ${limit}` : ''}`
    const lat: number[] = []
    let rows = 0
    for (let r = 0; r < runs + 2; r++) {
      const t0 = performance.now()
      rows = (await duck.runAndReadAll(text)).getRows().length
      if (r >= 2) lat.push(performance.now() - t0)
    }
    lat.sort((a, b) => a - b)
    report(B, `${name}_duckdb_p50_ms`, quantile(lat, 0.5), 'ms', { sql: where, runs, limit, candidates: rows, totalSpans: spans })
    report(B, `${name}_duckdb_p99_ms`, quantile(lat, 0.99), 'ms', { sql: where, runs, limit, candidates: rows, totalSpans: spans })
  }
} catch (err) {
  console.error(`${B} failed:`, err)
  exitCode = 1
} finally {
  for (const r of readers) await r.close()
  rmSync(dir, { recursive: true, force: true })
}
process.exit(exitCode)
