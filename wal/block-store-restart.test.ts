import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ManualClock } from '../test/fakes/clock.ts'
import { generateTraces } from '../tools/index.ts'
import type { BlockEncoder } from './encoder.ts'
import { inlineBlockEncoder } from './encoder.ts'
import { runCompleteJob } from './encoder-jobs.ts'
import type { CutTrace } from './cut-trace.ts'
import { cutTraces, metric, startStore } from './testing/store.ts'
import { tempDir } from './testing/tmp.ts'

const dir = tempDir()
after(() => dir.remove())
let n = 0
const freshRoot = (): string => join(dir.path, `root${++n}`)
const NOW = 1_763_700_000_000
const neverCompletes: BlockEncoder = { ...inlineBlockEncoder(), completeBlock: () => Promise.reject(new Error('not now')) }
const slowRetry = { initialMs: 3_600_000, maxMs: 3_600_000 }

function traceSets (seed: number, sets: number): CutTrace[][] {
  const all = cutTraces(generateTraces({ seed, traces: sets * 4, now: NOW }), NOW)
  return Array.from({ length: sets }, (_, i) => all.slice(i * 4, i * 4 + 4))
}

describe('BlockStore restart', () => {
  it('reloads complete and WAL blocks (the head included) and completes the WAL ones', async () => {
    const root = freshRoot()
    const [a, b, c] = traceSets(41, 3) as [CutTrace[], CutTrace[], CutTrace[]]
    const first = await startStore(root, { clock: new ManualClock(NOW) })
    await first.store.flush('t', 0, a, { first: 0n, last: 3n })
    await first.store.cutBlocks(true)
    await first.store.idle()
    await first.store.stop()

    // Second life: a WAL block that fails to complete, and a head block, both left at stop.
    const second = await startStore(root, { clock: new ManualClock(NOW), encoder: neverCompletes, completionBackoff: slowRetry })
    await second.store.flush('t', 0, b, { first: 4n, last: 7n })
    await second.store.cutBlocks(true)
    await second.store.flush('u', 5, c, { first: 8n, last: 11n })
    await second.store.idle()
    assert.deepStrictEqual(second.store.blocks('t').map((x) => x.kind), ['complete', 'wal'])
    assert.deepStrictEqual(second.store.blocks('u').map((x) => x.kind), ['head'])
    await second.store.stop()

    const third = await startStore(root, { clock: new ManualClock(NOW) })
    try {
      const report = third.store.loadReport()
      assert.equal(report.blocks, 3)
      assert.equal(report.quarantined, 0)
      assert.deepStrictEqual([...report.partitionsWithData].sort(), [0, 5])
      await third.store.idle()
      assert.deepStrictEqual(third.store.blocks('t').map((x) => x.kind), ['complete', 'complete'])
      assert.deepStrictEqual(third.store.blocks('u').map((x) => x.kind), ['complete'])
      assert.equal(await metric(third.registry, 'tempo_live_store_blocks_completed_total'), 2)
      for (const [tenant, set] of [['t', a], ['t', b], ['u', c]] as const) {
        for (const tr of set) assert.equal((await third.store.findTrace(tenant, tr.traceId)).length, 1)
      }
      assert.deepStrictEqual(third.store.tenants().sort(), ['t', 'u'])
    } finally {
      await third.store.stop()
    }
    assert.deepStrictEqual(readdirSync(join(root, 'wal', 'u', '5')), [], 'completed WAL blocks are deleted (at the latest at stop)')
  })

  it('drops a WAL block that a crash left next to its complete block, and unfinished writes', async () => {
    const root = freshRoot()
    const [a] = traceSets(42, 1) as [CutTrace[]]
    const first = await startStore(root, { clock: new ManualClock(NOW), encoder: neverCompletes, completionBackoff: slowRetry })
    const seg = await first.store.flush('t', 0, a, { first: 0n, last: 3n })
    await first.store.cutBlocks(true)
    await first.store.idle()
    await first.store.stop()
    // The crash: completion wrote the complete block, the WAL block was not deleted yet.
    const blockId = seg.meta.blockId
    const walDir = join(root, 'wal', 't', '0', blockId)
    await runCompleteJob({ segments: [join(walDir, '0000000001')], dir: join(root, 'blocks', 't'), tenant: 't', partition: 0, blockId, nowMs: NOW })
    // Unfinished writes of a segment and of a complete block.
    cpSync(join(walDir, '0000000001'), join(walDir, '.tmp-0000000002'), { recursive: true })
    mkdirSync(join(root, 'blocks', 't', '.tmp-other'))

    const second = await startStore(root, { clock: new ManualClock(NOW) })
    try {
      assert.ok(!existsSync(walDir))
      assert.deepStrictEqual(readdirSync(join(root, 'blocks', 't')), [blockId])
      assert.deepStrictEqual(second.store.blocks('t').map((x) => x.kind), ['complete'])
      await second.store.idle()
      assert.equal(await metric(second.registry, 'tempo_live_store_blocks_completed_total'), 0)
      for (const tr of a) assert.equal((await second.store.findTrace('t', tr.traceId)).length, 1)
    } finally {
      await second.store.stop()
    }
  })
})

describe('BlockStore damaged blocks', () => {
  it('quarantines damaged complete blocks and WAL segments, counts and logs them, and serves the rest', async () => {
    const root = freshRoot()
    const sets = traceSets(43, 6)
    const first = await startStore(root, { clock: new ManualClock(NOW) })
    const completeIds: string[] = []
    for (let i = 0; i < 4; i++) {
      completeIds.push((await first.store.flush('t', i, sets[i]!, { first: 0n, last: 3n })).meta.blockId)
    }
    await first.store.cutBlocks(true)
    await first.store.idle()
    await first.store.stop()
    // A head block of two segments left at stop.
    const second = await startStore(root, { clock: new ManualClock(NOW) })
    const walId = (await second.store.flush('t', 9, sets[4]!, { first: 0n, last: 3n })).meta.blockId
    await second.store.flush('t', 9, sets[5]!, { first: 4n, last: 7n })
    await second.store.stop()

    const blocks = join(root, 'blocks', 't')
    truncateSync(join(blocks, completeIds[0]!, 'data.parquet'), 100)
    writeFileSync(join(blocks, completeIds[1]!, 'meta.json'), '{"formatVersion": 1, garb')
    rmSync(join(blocks, completeIds[2]!, 'bloom'))
    const walDir = join(root, 'wal', 't', '9', walId)
    const meta = join(walDir, '0000000001', 'meta.json')
    writeFileSync(meta, readFileSync(meta, 'utf8').replace('"spanCount"', '"spanCount_"'))

    const third = await startStore(root, { clock: new ManualClock(NOW + 1) })
    try {
      const report = third.store.loadReport()
      assert.equal(report.quarantined, 4)
      assert.equal(report.blocks, 2)
      assert.equal(await metric(third.registry, 'livestore_wal_quarantined_total', { block_type: 'complete' }), 3)
      assert.equal(await metric(third.registry, 'livestore_wal_quarantined_total', { block_type: 'wal' }), 1)
      const moved = readdirSync(join(root, 'quarantine')).sort()
      assert.deepStrictEqual(moved, [
        `${NOW + 1}-blocks__t__${completeIds[0]}`,
        `${NOW + 1}-blocks__t__${completeIds[1]}`,
        `${NOW + 1}-blocks__t__${completeIds[2]}`,
        `${NOW + 1}-wal__t__9__${walId}__0000000001`,
      ].sort())
      const errors = third.lines.filter((l) => l.level === 50 && /quarantine/.test(l.msg))
      assert.equal(errors.length, 4)
      assert.ok(errors.some((l) => l.path === join(blocks, completeIds[0]!) && /data\.parquet/.test(String(l.reason))))
      assert.ok(errors.some((l) => l.path === join(walDir, '0000000001') && /spanCount/.test(String(l.reason))))

      // The intact complete block, and the WAL block's intact second segment (now completed).
      await third.store.idle()
      assert.deepStrictEqual(third.store.blocks('t').map((b) => b.partition).sort(), [3, 9])
      for (const tr of sets[3]!) assert.equal((await third.store.findTrace('t', tr.traceId)).length, 1)
      for (const tr of sets[5]!) assert.equal((await third.store.findTrace('t', tr.traceId)).length, 1)
      for (const tr of sets[4]!) assert.deepStrictEqual(await third.store.findTrace('t', tr.traceId), [])
    } finally {
      await third.store.stop()
    }
  })
})
