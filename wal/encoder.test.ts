import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { InvalidArgumentError } from '../common/errors.ts'
import { generateTraces } from '../tools/index.ts'
import { openBlock } from './block-reader.ts'
import type { CompleteJob, SegmentJob } from './encoder.ts'
import { inlineBlockEncoder, workerBlockEncoder } from './encoder.ts'
import { BLOCK_FILES, META_FILE } from './meta.ts'
import { cutTraces, startStore } from './testing/store.ts'
import { tempDir } from './testing/tmp.ts'

const dir = tempDir()
const NOW = 1_763_700_000_000
const pool = workerBlockEncoder(2)
after(async () => {
  await pool.close()
  dir.remove()
})

function segmentJob (parent: string, name: string, seed: number, traces = 40): SegmentJob {
  return {
    dir: join(dir.path, parent),
    name,
    tenant: 'acme',
    partition: 4,
    blockId: 'blk',
    traces: cutTraces(generateTraces({ seed, traces, now: NOW }), NOW - 2000, NOW),
    offsets: { first: 7n, last: 9n },
    slackMs: 120_000,
    nowMs: NOW,
    options: { rowGroupRows: 100 },
  }
}

function sameFiles (a: string, b: string): void {
  for (const f of [...BLOCK_FILES, META_FILE]) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`)
}

describe('block encoders', () => {
  it('a worker writes byte-identical segments and complete blocks to the inline encoder', async () => {
    const inline = inlineBlockEncoder()
    const results = []
    for (const [enc, side] of [[inline, 'inline'], [pool, 'worker']] as const) {
      const s1 = await enc.writeSegment(segmentJob(side, '0000000001', 1))
      const s2 = await enc.writeSegment(segmentJob(side, '0000000002', 2))
      const job: CompleteJob = { segments: [join(dir.path, side, '0000000001'), join(dir.path, side, '0000000002')], dir: join(dir.path, `${side}-complete`), tenant: 'acme', partition: 4, blockId: 'blk', nowMs: NOW + 1 }
      const meta = await enc.completeBlock(job)
      results.push({ s1, s2, meta })
    }
    assert.deepStrictEqual(results[0], results[1])
    sameFiles(join(dir.path, 'inline', '0000000001'), join(dir.path, 'worker', '0000000001'))
    sameFiles(join(dir.path, 'inline', '0000000002'), join(dir.path, 'worker', '0000000002'))
    sameFiles(join(dir.path, 'inline-complete', 'blk'), join(dir.path, 'worker-complete', 'blk'))
    assert.equal(results[1]!.meta.traceCount, 80)
  })

  it('a pool runs many concurrent jobs, queueing them while every worker is busy', async () => {
    const jobs = Array.from({ length: 16 }, (_, i) => segmentJob('many', String(i + 1).padStart(10, '0'), 100 + i, 5))
    const results = await Promise.all(jobs.map((j) => pool.writeSegment(j)))
    for (let i = 0; i < jobs.length; i++) {
      assert.equal(results[i]!.meta.traceCount, 5)
      const reader = await openBlock(join(jobs[i]!.dir, jobs[i]!.name))
      assert.equal(reader.spanCount, results[i]!.meta.spanCount)
      await reader.close()
    }
  })

  it('errors keep their type across the thread boundary', async () => {
    const bad = segmentJob('errors', '0000000001', 5, 1)
    bad.traces = [{ ...bad.traces[0]!, fragments: [Buffer.from([0x0a, 0xff, 0xff])] }]
    await assert.rejects(pool.writeSegment(bad), InvalidArgumentError)
    const good = segmentJob('errors', '0000000002', 6, 1)
    await pool.writeSegment(good)
    await assert.rejects(pool.writeSegment(good), (err: NodeJS.ErrnoException) => err.code === 'EEXIST')
  })

  it('a crashed worker fails its job and is replaced', async () => {
    const crashy = workerBlockEncoder(1, { entry: new URL('./testing/crash-encoder-worker.js', import.meta.url) })
    try {
      const crash = { ...segmentJob('crash', '0000000001', 7, 2), blockId: 'crash' }
      const queued = segmentJob('crash', '0000000002', 8, 2)
      const [crashed, after] = await Promise.allSettled([crashy.writeSegment(crash), crashy.writeSegment(queued)])
      assert.equal(crashed.status, 'rejected')
      assert.match(String((crashed as PromiseRejectedResult).reason), /exited with code 3/)
      assert.equal(after.status, 'fulfilled', 'the queued job runs on the replacement worker')
    } finally {
      await crashy.close()
    }
    await assert.rejects(crashy.writeSegment(segmentJob('crash', '0000000003', 9, 1)), /closed/)
  })
})

describe('BlockStore on a worker pool', () => {
  it('flushes, completes and serves traces with the encoding off the main thread', async () => {
    const { store, clock } = await startStore(join(dir.path, 'store'), { encoder: pool })
    try {
      const traces = cutTraces(generateTraces({ seed: 50, traces: 10, now: NOW }), clock.now())
      await store.flush('t', 0, traces.slice(0, 5), { first: 0n, last: 4n })
      await store.flush('t', 0, traces.slice(3), { first: 3n, last: 9n })
      await store.cutBlocks(true)
      await store.idle()
      assert.deepStrictEqual(store.blocks('t').map((b) => b.kind), ['complete'])
      for (const t of traces) assert.equal((await store.findTrace('t', t.traceId)).length, 1)
    } finally {
      await store.stop()
    }
  })
})
