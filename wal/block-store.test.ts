import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { NotReadyError } from '../common/errors.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { generateTraces } from '../tools/index.ts'
import { canonical } from './testing/compare.ts'
import { Registry } from 'prom-client'
import { ManualClock } from '../test/fakes/clock.ts'
import { BlockStore } from './block-store.ts'
import { inlineBlockEncoder } from './encoder.ts'
import { capturingLogger, cutTraces, metric, startStore, testConfig } from './testing/store.ts'
import { tempDir } from './testing/tmp.ts'

const dir = tempDir()
after(() => dir.remove())
let n = 0
const freshRoot = (): string => join(dir.path, `root${++n}`)
const NOW = 1_763_700_000_000

function spansOf (data: TracesData, traceId: Buffer): TracesData {
  return { resourceSpans: data.resourceSpans.map((rs) => ({ ...rs, scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.filter((s) => s.traceId.equals(traceId)) })) })) }
}

describe('BlockStore flush and findTrace', () => {
  it('serves flushed traces from head segments, by id, per tenant', async () => {
    const root = freshRoot()
    const { store, clock } = await startStore(root)
    try {
      const data = generateTraces({ seed: 1, traces: 20, now: NOW })
      const traces = cutTraces(data, clock.now() - 5000, clock.now())
      const first = await store.flush('acme', 3, traces.slice(0, 10), { first: 100n, last: 109n })
      const second = await store.flush('acme', 3, traces.slice(10), { first: 110n, last: 119n })
      assert.equal(first.meta.tenant, 'acme')
      assert.equal(first.meta.partition, 3)
      assert.equal(first.meta.blockId, second.meta.blockId, 'both segments belong to one head block')
      assert.deepStrictEqual(first.meta.offsetRange, { first: 100n, last: 109n })
      assert.equal(first.meta.traceCount + second.meta.traceCount, 20)

      const blockDir = join(root, 'wal', 'acme', '3', first.meta.blockId)
      assert.deepStrictEqual(readdirSync(blockDir).sort(), ['0000000001', '0000000002'])
      const blocks = store.blocks('acme')
      assert.equal(blocks.length, 1)
      assert.equal(blocks[0]!.kind, 'head')
      assert.equal(blocks[0]!.readers.length, 2)
      assert.deepStrictEqual(blocks[0]!.meta.offsetRange, { first: 100n, last: 119n })
      assert.deepStrictEqual(store.tenants(), ['acme'])

      for (const t of traces) {
        const found = await store.findTrace('acme', t.traceId)
        assert.equal(found.length, 1, 'one piece per block')
        assert.deepStrictEqual(canonical(found), canonical([spansOf(data, t.traceId)]))
        assert.deepStrictEqual(await store.findTrace('other', t.traceId), [], 'a tenant never sees another one\'s data')
      }
      assert.deepStrictEqual(await store.findTrace('acme', Buffer.alloc(16, 0xee)), [])
      assert.deepStrictEqual(store.stats(), { headBlocks: 1, walBlocks: 0, completeBlocks: 0, bytes: first.meta.sizeBytes + second.meta.sizeBytes })
    } finally {
      await store.stop()
    }
  })

  it('keeps tenants with path-like names inside their own directories', async () => {
    const root = freshRoot()
    const { store, clock } = await startStore(root)
    try {
      const tenants = ['..', '.', 'a/b', '*', '.tmp-x', 'x%2E']
      const traces = cutTraces(generateTraces({ seed: 2, traces: tenants.length, now: NOW }), clock.now())
      for (let i = 0; i < tenants.length; i++) await store.flush(tenants[i]!, 0, [traces[i]!], { first: 0n, last: 0n })
      assert.deepStrictEqual(readdirSync(join(root, 'wal')).sort(), ['%2A', '%2E', '%2E%2E', '%2Etmp-x', 'a%2Fb', 'x%252E'])
      assert.deepStrictEqual(readdirSync(root).sort(), ['blocks', 'quarantine', 'wal'])
      for (let i = 0; i < tenants.length; i++) {
        assert.equal((await store.findTrace(tenants[i]!, traces[i]!.traceId)).length, 1)
        assert.equal((await store.findTrace(tenants[(i + 1) % tenants.length]!, traces[i]!.traceId)).length, 0)
      }
    } finally {
      await store.stop()
    }
  })

  it('serializes concurrent flushes of one partition into numbered segments', async () => {
    const root = freshRoot()
    const { store, clock } = await startStore(root)
    try {
      const traces = cutTraces(generateTraces({ seed: 3, traces: 8, now: NOW }), clock.now())
      const results = await Promise.all(traces.map((t, i) => store.flush('t', 0, [t], { first: BigInt(i), last: BigInt(i) })))
      assert.equal(new Set(results.map((r) => r.meta.blockId)).size, 1)
      assert.equal(readdirSync(join(root, 'wal', 't', '0', results[0]!.meta.blockId)).length, 8)
      assert.equal(store.blocks('t')[0]!.readers.length, 8)
    } finally {
      await store.stop()
    }
  })

  it('refuses flushes and reads unless running, and empty flushes', async () => {
    const unstarted = new BlockStore({ root: freshRoot(), config: testConfig(), clock: new ManualClock(), logger: capturingLogger().logger, registry: new Registry(), encoder: inlineBlockEncoder() })
    assert.throws(() => unstarted.loadReport(), NotReadyError)
    await assert.rejects(unstarted.flush('t', 0, [], { first: 0n, last: 0n }), NotReadyError)
    const { store, clock } = await startStore(freshRoot())
    const traces = cutTraces(generateTraces({ seed: 4, traces: 1, now: NOW }), clock.now())
    await assert.rejects(store.flush('t', 0, [], { first: 0n, last: 0n }), /at least one trace/)
    await store.stop()
    await assert.rejects(store.flush('t', 0, traces, { first: 0n, last: 0n }), NotReadyError)
    await assert.rejects(store.findTrace('t', traces[0]!.traceId), NotReadyError)
    assert.equal(clock.pendingTimers, 0, 'stop cancels every timer')
  })
})

describe('BlockStore cutBlocks', () => {
  it('cuts a head block once it is max_block_duration old', async () => {
    const { store, clock, registry } = await startStore(freshRoot(), { configOverrides: { max_block_duration: 30_000 } })
    try {
      const traces = cutTraces(generateTraces({ seed: 5, traces: 4, now: NOW }), clock.now())
      await store.flush('t', 1, traces.slice(0, 2), { first: 0n, last: 1n })
      await store.cutBlocks(false)
      assert.equal(store.blocks('t')[0]!.kind, 'head', 'too young to cut')
      clock.advance(29_999)
      await store.cutBlocks(false)
      assert.equal(store.blocks('t')[0]!.kind, 'head')
      clock.advance(1)
      await store.cutBlocks(false)
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind), ['wal'])
      assert.equal(await metric(registry, 'tempo_live_store_blocks_cut_total', { reason: 'max_block_duration' }), 1)
      assert.equal(await metric(registry, 'tempo_live_store_blocks_cut_total', { reason: 'max_block_bytes' }), 0)

      // The next flush starts a new head block; an empty head is never cut.
      await store.flush('t', 1, traces.slice(2), { first: 2n, last: 3n })
      // The cut block is a WAL block, or already complete (completion runs in the background).
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind === 'complete' ? 'wal' : b.kind), ['wal', 'head'])
      await store.cutBlocks(true)
      assert.equal(await metric(registry, 'tempo_live_store_blocks_cut_total', { reason: 'immediate' }), 1)
      await store.cutBlocks(true)
      assert.equal(await metric(registry, 'tempo_live_store_blocks_cut_total', { reason: 'immediate' }), 1)
    } finally {
      await store.stop()
    }
  })

  it('cuts by max_block_bytes, counting every reason that applied', async () => {
    const { store, clock, registry } = await startStore(freshRoot(), { configOverrides: { max_block_bytes: 1 } })
    try {
      const traces = cutTraces(generateTraces({ seed: 6, traces: 2, now: NOW }), clock.now())
      await store.flush('t', 0, traces, { first: 0n, last: 1n })
      clock.advance(30_000)
      await store.cutBlocks(true)
      for (const reason of ['immediate', 'max_block_duration', 'max_block_bytes']) {
        assert.equal(await metric(registry, 'tempo_live_store_blocks_cut_total', { reason }), 1, reason)
      }
      await store.flush('t', 0, traces, { first: 0n, last: 1n })
      await store.cutBlocks(false)
      assert.equal(await metric(registry, 'tempo_live_store_blocks_cut_total', { reason: 'max_block_bytes' }), 2)
      assert.equal(await metric(registry, 'tempo_live_store_blocks_cut_total', { reason: 'max_block_duration' }), 1)
      assert.ok(!store.blocks('t').some((b) => b.kind === 'head'))
    } finally {
      await store.stop()
    }
  })
})
