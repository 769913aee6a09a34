import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { encodeTracesProto } from '../../common/otlp/index.ts'
import type { Span } from '../../common/otlp/model.ts'
import { span, traces } from '../../common/otlp/testing/model-fixture.ts'
import { tempDir } from '../helpers/broker.ts'
import { eventually, startNode } from '../helpers/node.ts'
import type { TestNode } from '../helpers/node.ts'

/**
 * The WAL through a whole node (embedded broker over TCP, real files, real HTTP): traces leave
 * memory for head blocks, blocks are completed, a restart serves them from disk without
 * replaying what was already durable, damaged blocks are quarantined, and backpressure holds
 * consumption while memory is over its limit.
 */
const FAST = {
  'live_store.max_trace_idle': '200ms',
  'live_store.max_trace_live': '2s',
  'live_store.flush_check_period': '200ms',
  'live_store.max_block_duration': '1s',
  'live_store.commit_interval': '200ms',
}

const tenantDir = encodeURIComponent('single-tenant')

/** Ids are never all zero (invalid in OTLP): trace i has id (i+1) repeated, span k of it (i+1, k+1). */
function traceIdOf (i: number): Buffer {
  return Buffer.from((i + 1).toString(16).padStart(8, '0').repeat(4), 'hex')
}

function spanIdOf (i: number, k: number): Buffer {
  return Buffer.from(`${(i + 1).toString(16).padStart(8, '0')}${(k + 1).toString(16).padStart(8, '0')}`, 'hex')
}

function spansFor (i: number, n = 3): Span[] {
  return Array.from({ length: n }, (_, k) => span({ traceId: traceIdOf(i), spanId: spanIdOf(i, k), name: `op-${i}-${k}`, parentSpanId: k === 0 ? Buffer.alloc(0) : spanIdOf(i, 0) }))
}

async function push (n: TestNode, from: number, to: number): Promise<void> {
  const body = encodeTracesProto(traces(Array.from({ length: to - from }, (_, k) => spansFor(from + k)).flat()))
  const res = await fetch(`${n.otlp}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })
  assert.equal(res.status, 200, await res.text())
}

async function spanNames (n: TestNode, i: number): Promise<string[] | null> {
  const r = await fetch(`${n.api}/api/v2/traces/${traceIdOf(i).toString('hex')}`)
  const body = await r.json() as { trace: { resourceSpans?: { scopeSpans: { spans: { name: string }[] }[] }[] } }
  return body.trace.resourceSpans?.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((x) => x.name))).sort() ?? null
}

async function metric (n: TestNode, name: string, labels = ''): Promise<number> {
  const text = await n.registry.getSingleMetricAsString(name).catch(() => '')
  return text.split('\n').filter((l) => l.startsWith(name) && l.includes(labels)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0)
}

function completeBlocks (walPath: string): string[] {
  const dir = join(walPath, 'blocks', tenantDir)
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : []
}

describe('WAL lifecycle through a node', () => {
  const dir = tempDir('livestore-wal-')
  after(() => dir.remove())
  const walPath = join(dir.path, 'wal')
  const TRACES = 40

  it('flushes idle traces to blocks, completes them, and serves them after a restart without replaying', async () => {
    const first = await startNode(FAST, dir.path)
    try {
      await push(first, 0, TRACES)
      await eventually(async () => await metric(first, 'tempo_live_store_traces_created_total') >= TRACES ? true : null, 15_000, 'traces written to head blocks')
      await eventually(async () => completeBlocks(walPath).length > 0 && await metric(first, 'tempo_live_store_blocks_completed_total') > 0 ? true : null, 15_000, 'a complete block')
      assert.equal(first.node.store.instance('single-tenant')?.liveTraces, 0, 'nothing left in memory')
      assert.deepEqual(await spanNames(first, 3), ['op-3-0', 'op-3-1', 'op-3-2'])
    } finally { await first.stop() }

    const second = await startNode(FAST, dir.path)
    try {
      for (const i of [0, 17, TRACES - 1]) assert.deepEqual(await spanNames(second, i), [`op-${i}-0`, `op-${i}-1`, `op-${i}-2`], `trace ${i} from disk, once`)
      // A clean stop flushed everything and committed past it: nothing to replay.
      assert.equal(await metric(second, 'tempo_live_store_records_processed_total'), 0)
    } finally { await second.stop() }
  })

  it('quarantines a damaged block at start, counts it and serves the rest', async () => {
    const blocks = completeBlocks(walPath)
    assert.ok(blocks.length > 0)
    const victim = join(walPath, 'blocks', tenantDir, blocks[0]!, 'data.parquet')
    const lost = (JSON.parse(readFileSync(join(walPath, 'blocks', tenantDir, blocks[0]!, 'meta.json'), 'utf8')) as { traceCount: number }).traceCount
    truncateSync(victim, Math.floor(statSync(victim).size / 2))
    const n = await startNode(FAST, dir.path)
    try {
      assert.equal(n.node.readiness.state(), 'ready')
      assert.equal(await metric(n, 'livestore_wal_quarantined_total', 'block_type="complete"'), 1)
      assert.ok(readdirSync(join(walPath, 'quarantine')).length >= 1)
      assert.ok(!completeBlocks(walPath).includes(blocks[0]!))
      // Traces in other blocks still answer. Those of the damaged block are gone from this
      // replica unless its partition has no local data left, which makes the start replay the
      // lookback from Kafka (then they come back).
      let found = 0
      for (let i = 0; i < TRACES; i++) if (await spanNames(n, i) !== null) found++
      assert.ok(found >= TRACES - lost, `found ${found} of ${TRACES}, ${lost} were in the damaged block`)
    } finally { await n.stop() }
  })

  it('holds consumption while a tenant is over max_live_traces_bytes and resumes after the flush', async () => {
    const n = await startNode({ ...FAST, 'live_store.max_trace_idle': '1500ms', 'live_store.max_live_traces_bytes': '2000' })
    try {
      for (let b = 0; b < 5; b++) await push(n, 1000 + b * 10, 1000 + b * 10 + 10)
      await eventually(async () => await metric(n, 'tempo_live_store_back_pressure_seconds_total', 'waiting_for_live_traces') > 0 ? true : null, 15_000, 'backpressure')
      assert.ok((n.node.store.instance('single-tenant')?.liveBytes ?? 0) < 2000 + 10 * 3 * 400, 'memory stays near the limit')
      for (const i of [1000, 1025, 1049]) {
        await eventually(async () => (await spanNames(n, i))?.length === 3 ? true : null, 20_000, `trace ${i} after backpressure`)
      }
    } finally { await n.stop() }
  })
})
