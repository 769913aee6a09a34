import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ManualClock } from '../test/fakes/clock.ts'
import { generateTraces } from '../tools/index.ts'
import type { BlockEncoder } from './encoder.ts'
import { inlineBlockEncoder } from './encoder.ts'
import { cutTraces, metric, startStore, waitFor } from './testing/store.ts'
import { tempDir } from './testing/tmp.ts'

const dir = tempDir()
after(() => dir.remove())
let n = 0
const freshRoot = (): string => join(dir.path, `root${++n}`)
const NOW = 1_763_700_000_000
const MIN = 60_000

/** Flushes traces whose records arrived `ageMs` ago into (tenant, partition), cuts and completes. */
async function oldAndNewBlocks (store: Awaited<ReturnType<typeof startStore>>['store'], seed: number): Promise<{ oldId: Buffer, newId: Buffer }> {
  const old = cutTraces(generateTraces({ seed, traces: 3, now: NOW - 30 * MIN }), NOW - 30 * MIN)
  const recent = cutTraces(generateTraces({ seed: seed + 1, traces: 3, now: NOW }), NOW)
  await store.flush('t', 0, old, { first: 0n, last: 2n })
  await store.flush('t', 1, recent, { first: 0n, last: 2n })
  await store.cutBlocks(true)
  await store.idle()
  return { oldId: old[0]!.traceId, newId: recent[0]!.traceId }
}

describe('BlockStore retention', () => {
  it('removes old blocks from the set at once and deletes their files only after the grace', async () => {
    const root = freshRoot()
    const { store, clock, registry } = await startStore(root, { clock: new ManualClock(NOW) })
    try {
      const { oldId, newId } = await oldAndNewBlocks(store, 31)
      const before = store.blocks('t')
      assert.deepStrictEqual(before.map((b) => b.kind), ['complete', 'complete'])
      const oldBlock = before.find((b) => b.partition === 0)!
      assert.ok(oldBlock.meta.endTimeUnixNano <= BigInt(NOW - 28 * MIN) * 1_000_000n, 'time range clamped to the ingestion window')

      const reading = store.findTrace('t', oldId) // takes its snapshot now, reads after the removal
      await store.deleteOldBlocks()
      assert.deepStrictEqual(store.blocks('t').map((b) => b.partition), [1], 'gone from the set at once')
      assert.equal((await reading).length, 1, 'a read started before the removal completes')
      assert.deepStrictEqual(await store.findTrace('t', oldId), [])
      assert.equal((await store.findTrace('t', newId)).length, 1)
      assert.notEqual(await oldBlock.readers[0]!.findTrace(oldId), null, 'readers stay open during the grace')
      assert.ok(existsSync(oldBlock.dir))

      clock.advance(2 * MIN)
      // The counter moves once the whole deletion finished, a moment after the directory is gone.
      await waitFor(async () => !existsSync(oldBlock.dir) && await metric(registry, 'tempo_live_store_blocks_cleared_total', { block_type: 'complete' }) === 1, 'the old block\'s deletion')
      assert.ok(existsSync(store.blocks('t')[0]!.dir))
      await assert.rejects(oldBlock.readers[0]!.findTrace(oldId), /closed/)
    } finally {
      await store.stop()
    }
  })

  it('runs every flush_op_timeout and ages out WAL blocks that never completed, with a warning', async () => {
    const failing: BlockEncoder = { ...inlineBlockEncoder(), completeBlock: () => Promise.reject(new Error('disk full')) }
    const root = freshRoot()
    const { store, clock, registry, lines } = await startStore(root, { clock: new ManualClock(NOW), encoder: failing, completionBackoff: { initialMs: 60 * MIN, maxMs: 60 * MIN } })
    try {
      await oldAndNewBlocks(store, 33)
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind), ['wal', 'wal'])
      const oldDir = store.blocks('t').find((b) => b.partition === 0)!.dir
      clock.advance(5 * MIN - 1)
      assert.equal(store.blocks('t').length, 2)
      clock.advance(1)
      assert.deepStrictEqual(store.blocks('t').map((b) => b.partition), [1])
      assert.ok(lines.some((l) => l.level === 40 && /aged out before it was completed/.test(l.msg)))
      clock.advance(2 * MIN)
      await waitFor(async () => !existsSync(oldDir) && await metric(registry, 'tempo_live_store_blocks_cleared_total', { block_type: 'wal' }) === 1, 'the WAL block\'s deletion')
    } finally {
      await store.stop()
    }
  })

  it('applies at startup, after the load', async () => {
    const root = freshRoot()
    const first = await startStore(root, { clock: new ManualClock(NOW) })
    await oldAndNewBlocks(first.store, 35)
    await first.store.stop()

    const clock = new ManualClock(NOW + MIN)
    const second = await startStore(root, { clock })
    try {
      const report = second.store.loadReport()
      assert.equal(report.blocks, 2)
      assert.deepStrictEqual([...report.partitionsWithData].sort(), [0, 1])
      assert.deepStrictEqual(second.store.blocks('t').map((b) => b.partition), [1])
      const oldDir = join(root, 'blocks', 't')
      assert.equal(readdirSync(oldDir).length, 2, 'files are kept for the grace')
      await second.store.stop() // shutdown deletes what waited for its grace
      assert.equal(readdirSync(oldDir).length, 1)
    } finally {
      await second.store.stop()
    }
  })
})
