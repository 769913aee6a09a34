import assert from 'node:assert/strict'
import { appendFileSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { OFFSETS_FILE, OffsetStore } from './offset-store.ts'
import type { OffsetStoreOptions } from './offset-store.ts'
import { captureLogger, tempDir } from './test-helpers.ts'
import type { CapturedLog } from './test-helpers.ts'

describe('OffsetStore', () => {
  let tmp: ReturnType<typeof tempDir>
  let lines: CapturedLog[]
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => { tmp.cleanup() })

  const open = (opts: Partial<OffsetStoreOptions> = {}): Promise<OffsetStore> => {
    const cap = captureLogger()
    lines = cap.lines
    return OffsetStore.open({ dataDir: tmp.dir, logger: cap.logger, ...opts })
  }
  const entry = (topic: string, partition: number, offset: bigint, metadata: string | null = null) =>
    ({ topic, partition, offset, metadata, commitTimestamp: 1_700_000_000_000 })

  it('commits, fetches and survives a reopen', async () => {
    const store = await open()
    await store.commit('g1', [entry('a', 0, 10n, 'm'), entry('a', 1, 20n)])
    await store.commit('g1', [entry('a', 0, 11n)])
    await store.commit('g2', [entry('b', 3, 9_007_199_254_740_993n)])
    assert.deepEqual(store.fetch('g1', 'a', 0), { offset: 11n, metadata: null, commitTimestamp: 1_700_000_000_000 })
    assert.equal(store.fetch('g1', 'a', 2), undefined)
    assert.equal(store.fetch('nope', 'a', 0), undefined)
    await store.close()
    const again = await open()
    assert.equal(again.fetch('g1', 'a', 0)?.offset, 11n)
    assert.equal(again.fetch('g1', 'a', 1)?.offset, 20n)
    assert.equal(again.fetch('g2', 'b', 3)?.offset, 9_007_199_254_740_993n)
    assert.deepEqual(again.groupOffsets('g1').map((e) => [e.topic, e.partition, e.offset]).sort(), [['a', 0, 11n], ['a', 1, 20n]])
    assert.deepEqual(again.groups().sort(), ['g1', 'g2'])
    await again.close()
  })

  it('deletes a topic across groups, and a group', async () => {
    const store = await open()
    await store.commit('g1', [entry('a', 0, 1n), entry('b', 0, 2n)])
    await store.commit('g2', [entry('a', 0, 3n)])
    await store.deleteTopic('a')
    assert.equal(store.fetch('g1', 'a', 0), undefined)
    assert.equal(store.fetch('g1', 'b', 0)?.offset, 2n)
    assert.deepEqual(store.groups(), ['g1'])
    await store.deleteGroup('g1')
    assert.deepEqual(store.groups(), [])
    await store.close()
    const again = await open()
    assert.deepEqual(again.groups(), [])
    await again.close()
  })

  it('shares fsyncs between concurrent commits', async () => {
    let fsyncs = 0
    const store = await open({ onFsync: () => { fsyncs++ } })
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.commit('g', [entry('t', i, BigInt(i))])))
    assert.ok(fsyncs >= 1 && fsyncs <= 3, `fsyncs: ${fsyncs}`)
    await store.close()
  })

  it('cuts a torn or corrupt tail and keeps earlier commits', async () => {
    const store = await open()
    await store.commit('g', [entry('t', 0, 1n)])
    await store.commit('g', [entry('t', 0, 2n)])
    await store.close()
    const file = join(tmp.dir, OFFSETS_FILE)
    const full = statSync(file).size
    truncateSync(file, full - 4)
    let again = await open()
    assert.equal(again.fetch('g', 't', 0)?.offset, 1n)
    assert.equal(lines.filter((l) => l.msg === 'truncated torn committed-offset log tail').length, 1)
    await again.commit('g', [entry('t', 0, 3n)])
    await again.close()
    appendFileSync(file, Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 0x7b, 0x7d, 0x7b, 0x7d, 0x7b]))
    again = await open()
    assert.equal(again.fetch('g', 't', 0)?.offset, 3n)
    await again.close()
    // The garbage was cut off for good: the next open finds a clean log.
    again = await open()
    assert.equal(lines.length, 0)
    assert.equal(again.fetch('g', 't', 0)?.offset, 3n)
    await again.close()
  })

  it('compacts once the log is mostly overwritten entries', async () => {
    const store = await open({ compactionFactor: 3, compactionMinEntries: 20 })
    for (let i = 0; i < 100; i++) await store.commit('g', [entry('t', i % 5, BigInt(i)), entry('u', 0, BigInt(i))])
    assert.ok(lines.some((l) => l.msg === 'compacted committed-offset log'))
    const size = statSync(join(tmp.dir, OFFSETS_FILE)).size
    assert.ok(size < 1500, `size ${size}`)
    await store.commit('g', [entry('t', 0, 1000n)])
    await store.close()
    const again = await open()
    assert.equal(again.fetch('g', 't', 0)?.offset, 1000n)
    for (let p = 1; p < 5; p++) assert.equal(again.fetch('g', 't', p)?.offset, BigInt(95 + p))
    assert.equal(again.fetch('g', 'u', 0)?.offset, 99n)
    await again.close()
  })
})
