import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { generateTraces } from '../tools/index.ts'
import type { BlockEncoder } from './encoder.ts'
import { inlineBlockEncoder } from './encoder.ts'
import { flattenTraces } from './records.ts'
import { canonical } from './testing/compare.ts'
import { cutTraces, metric, startStore, tick, waitFor } from './testing/store.ts'
import { tempDir } from './testing/tmp.ts'

const dir = tempDir()
after(() => dir.remove())
let n = 0
const freshRoot = (): string => join(dir.path, `root${++n}`)
const NOW = 1_763_700_000_000

/** An inline encoder whose completeBlock fails the first `failures` times. */
function flakyEncoder (failures: number): BlockEncoder & { calls: number } {
  const inner = inlineBlockEncoder()
  const enc = {
    calls: 0,
    writeSegment: inner.writeSegment,
    completeBlock: async (job: Parameters<BlockEncoder['completeBlock']>[0]) => {
      if (++enc.calls <= failures) throw new Error(`injected failure ${enc.calls}`)
      return inner.completeBlock(job)
    },
    close: inner.close,
  }
  return enc
}

/** Runs the manual clock forward in steps, letting real I/O progress in between. */
async function advance (clock: { advance (ms: number): void }, ms: number): Promise<void> {
  clock.advance(ms)
  for (let i = 0; i < 5; i++) await tick()
}

describe('BlockStore completion', () => {
  it('merges a WAL block\'s segments into one complete block holding each span once', async () => {
    const root = freshRoot()
    const { store, clock, registry } = await startStore(root)
    try {
      const data = generateTraces({ seed: 21, traces: 30, now: NOW })
      const traces = cutTraces(data, clock.now() - 10_000, clock.now())
      const s1 = await store.flush('t', 2, traces.slice(0, 20), { first: 50n, last: 69n })
      // Replayed records: traces 10..19 flushed a second time, as after a crash before a commit.
      const s2 = await store.flush('t', 2, traces.slice(10), { first: 60n, last: 79n })
      const blockId = s1.meta.blockId
      assert.equal((await store.findTrace('t', traces[15]!.traceId)).length, 1, 'one piece per block, even across segments')
      await store.cutBlocks(true)
      await store.idle()

      const blocks = store.blocks('t')
      assert.deepStrictEqual(blocks.map((b) => [b.kind, b.blockId]), [['complete', blockId]])
      const meta = blocks[0]!.readers[0]!.meta
      const spans = flattenTraces([data])
      assert.equal(meta.spanCount, spans.length, 'duplicates dropped')
      assert.equal(meta.traceCount, 30)
      assert.equal(meta.partition, 2)
      assert.deepStrictEqual(meta.offsetRange, { first: 50n, last: 79n })
      const lo = s1.meta.startTimeUnixNano < s2.meta.startTimeUnixNano ? s1.meta.startTimeUnixNano : s2.meta.startTimeUnixNano
      const hi = s1.meta.endTimeUnixNano > s2.meta.endTimeUnixNano ? s1.meta.endTimeUnixNano : s2.meta.endTimeUnixNano
      assert.deepStrictEqual([meta.startTimeUnixNano, meta.endTimeUnixNano], [lo, hi])
      assert.ok(existsSync(join(root, 'blocks', 't', blockId, 'data.parquet')))

      const scanned = []
      for await (const r of blocks[0]!.readers[0]!.spans()) scanned.push({ resourceSpans: [{ resource: r.resource, schemaUrl: r.resourceSchemaUrl, scopeSpans: [{ scope: r.scope, schemaUrl: r.scopeSchemaUrl, spans: [r.span] }] }] })
      assert.deepStrictEqual(canonical(scanned), canonical([data]))
      for (const t of traces) assert.equal((await store.findTrace('t', t.traceId)).length, 1)

      assert.equal(await metric(registry, 'tempo_live_store_blocks_completed_total'), 1)
      assert.equal(await metric(registry, 'tempo_live_store_complete_queue_length'), 0)
      assert.equal(await metric(registry, 'tempo_live_store_completion_size_bytes', {}, 'tempo_live_store_completion_size_bytes_count'), 1)
      assert.equal(await metric(registry, 'tempo_live_store_completion_duration_seconds', {}, 'tempo_live_store_completion_duration_seconds_count'), 1)

      // The WAL files stay for the grace (a read may still use them), then go.
      const walDir = join(root, 'wal', 't', '2', blockId)
      assert.ok(existsSync(walDir))
      await advance(clock, 2 * 60_000 - 1)
      assert.ok(existsSync(walDir))
      await advance(clock, 30_000)
      await waitFor(() => !existsSync(walDir), 'the WAL block\'s deletion')
      assert.equal(await metric(registry, 'tempo_live_store_blocks_cleared_total', { block_type: 'wal' }), 1)
    } finally {
      await store.stop()
    }
  })

  it('reads concurrent with a completion see the trace in the WAL or the complete block, never neither', async () => {
    const { store, clock } = await startStore(freshRoot())
    try {
      const traces = cutTraces(generateTraces({ seed: 22, traces: 40, now: NOW }), clock.now())
      await store.flush('t', 0, traces.slice(0, 20), { first: 0n, last: 19n })
      await store.flush('t', 0, traces.slice(20), { first: 20n, last: 39n })
      await store.cutBlocks(true)
      const idle = store.idle()
      let done = false
      void idle.then(() => { done = true })
      let reads = 0
      while (!done) {
        const found = await store.findTrace('t', traces[reads % traces.length]!.traceId)
        assert.equal(found.length, 1, `read ${reads}`)
        reads++
      }
      assert.ok(reads > 1)
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind), ['complete'])
    } finally {
      await store.stop()
    }
  })

  it('retries a failed completion with a doubling backoff', async () => {
    const encoder = flakyEncoder(2)
    const { store, clock, registry } = await startStore(freshRoot(), { encoder, completionBackoff: { initialMs: 1000, maxMs: 4000 } })
    try {
      const traces = cutTraces(generateTraces({ seed: 23, traces: 5, now: NOW }), clock.now())
      await store.flush('t', 0, traces, { first: 0n, last: 4n })
      await store.cutBlocks(true)
      await store.idle()
      assert.equal(encoder.calls, 1)
      assert.equal(await metric(registry, 'tempo_live_store_completion_retries_total'), 1)
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind), ['wal'], 'still readable as a WAL block')
      assert.equal((await store.findTrace('t', traces[0]!.traceId)).length, 1)

      await advance(clock, 999)
      assert.equal(encoder.calls, 1, 'first retry after 1s')
      await advance(clock, 1)
      await store.idle()
      assert.equal(encoder.calls, 2)
      assert.equal(await metric(registry, 'tempo_live_store_completion_retries_total'), 2)
      await advance(clock, 1999)
      assert.equal(encoder.calls, 2, 'second retry after 2s')
      await advance(clock, 1)
      await store.idle()
      assert.equal(encoder.calls, 3)
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind), ['complete'])
      assert.equal(await metric(registry, 'tempo_live_store_blocks_completed_total'), 1)
      assert.equal(await metric(registry, 'tempo_live_store_failed_completions_total'), 0)
    } finally {
      await store.stop()
    }
  })

  it('gives up after the last attempt; the WAL block stays readable', async () => {
    const encoder = flakyEncoder(Infinity)
    const { store, clock, registry, lines } = await startStore(freshRoot(), { encoder, maxCompletionAttempts: 3, completionBackoff: { initialMs: 1000, maxMs: 1500 } })
    try {
      const traces = cutTraces(generateTraces({ seed: 24, traces: 2, now: NOW }), clock.now())
      await store.flush('t', 0, traces, { first: 0n, last: 1n })
      await store.cutBlocks(true)
      for (let i = 0; i < 5; i++) {
        await store.idle()
        await advance(clock, 1500)
      }
      await store.idle()
      assert.equal(encoder.calls, 3)
      assert.equal(await metric(registry, 'tempo_live_store_completion_retries_total'), 2)
      assert.equal(await metric(registry, 'tempo_live_store_failed_completions_total'), 1)
      assert.ok(lines.some((l) => l.level === 50 && /giving up/.test(l.msg)))
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind), ['wal'])
      assert.equal((await store.findTrace('t', traces[1]!.traceId)).length, 1)
    } finally {
      await store.stop()
    }
  })

  it('DuckDB reads a completed block: the span count and time range of meta.json', async () => {
    const root = freshRoot()
    const { store, clock } = await startStore(root)
    try {
      const traces = cutTraces(generateTraces({ seed: 25, traces: 60, now: NOW }), clock.now())
      await store.flush('t', 0, traces.slice(0, 30), { first: 0n, last: 29n })
      await store.flush('t', 0, traces.slice(25), { first: 25n, last: 59n })
      await store.cutBlocks(true)
      await store.idle()
      const block = store.blocks('t')[0]!
      assert.equal(block.kind, 'complete')
      const meta = block.readers[0]!.meta
      const instance = await DuckDBInstance.create(':memory:')
      const conn = await instance.connect()
      try {
        const res = await conn.runAndReadAll(`SELECT count(*)::VARCHAR AS n, count(DISTINCT trace_id)::VARCHAR AS traces,
          min(start_time_unix_nano)::VARCHAR AS lo, max(end_time_unix_nano)::VARCHAR AS hi FROM read_parquet('${join(block.dir, 'data.parquet')}')`)
        const row = res.getRowObjects()[0]
        assert.ok(row !== undefined)
        assert.equal(row.n, String(meta.spanCount))
        assert.equal(row.traces, '60')
        assert.equal(row.lo, meta.spanStartTimeUnixNano.toString())
        assert.equal(row.hi, meta.spanEndTimeUnixNano.toString())
        assert.ok(meta.startTimeUnixNano <= meta.spanStartTimeUnixNano && meta.endTimeUnixNano >= meta.spanEndTimeUnixNano, 'these spans lie inside the ingestion window')
      } finally {
        conn.closeSync()
        instance.closeSync()
      }
      assert.deepStrictEqual(readdirSync(join(root, 'blocks', 't')), [block.blockId])
    } finally {
      await store.stop()
    }
  })
})
