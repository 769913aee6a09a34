import assert from 'node:assert/strict'
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { ManualClock } from '../../test/fakes/clock.ts'
import type { StorageConfig } from './config.ts'
import { CLEAN_SHUTDOWN_FILE, PartitionLog } from './partition-log.ts'
import { baseOffsetsOf, captureLogger, makeBatch, tempDir } from './test-helpers.ts'
import type { CapturedLog } from './test-helpers.ts'

const clock = new ManualClock()

function readAll (log: PartitionLog): Buffer {
  const r = log.read(log.logStartOffset, 1 << 30)
  assert.ok(!('error' in r))
  return r.records
}

function logFiles (dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).sort()
}

describe('PartitionLog recovery', () => {
  let tmp: ReturnType<typeof tempDir>
  let lines: CapturedLog[]
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => { tmp.cleanup() })

  const open = (config: Partial<StorageConfig> = {}, dir = tmp.dir): Promise<PartitionLog> => {
    const cap = captureLogger()
    lines = cap.lines
    return PartitionLog.open({ dir, topic: 't', partition: 0, clock, logger: cap.logger, config: { fsync: 'never', ...config } })
  }
  const pdir = (dir = tmp.dir): string => join(dir, 't-0')
  const truncations = (): CapturedLog[] => lines.filter((l) => l.msg === 'truncated torn or corrupt log tail')

  /** Writes `n` batches of 3 records with distinct payloads; returns their bytes after append. */
  async function fill (log: PartitionLog, n: number): Promise<Buffer[]> {
    const out: Buffer[] = []
    for (let i = 0; i < n; i++) {
      const b = makeBatch({ records: 3, payload: Buffer.from(`payload-${i}-`.padEnd(30 + (i % 7), 'x')), maxTimestamp: 1000n + BigInt(i) })
      await log.append([b], { durable: false })
      out.push(b)
    }
    return out
  }

  it('keeps everything across close and open, with the marker only while closed', async () => {
    const config = { segmentBytes: 300, indexIntervalBytes: 100 }
    const log = await open(config)
    const batches = await fill(log, 25)
    assert.ok(!existsSync(join(pdir(), CLEAN_SHUTDOWN_FILE)))
    await log.close()
    assert.ok(existsSync(join(pdir(), CLEAN_SHUTDOWN_FILE)))
    const again = await open(config)
    assert.ok(!existsSync(join(pdir(), CLEAN_SHUTDOWN_FILE)))
    assert.equal(again.logEndOffset, 75n)
    assert.deepEqual(readAll(again), Buffer.concat(batches))
    assert.equal(again.offsetForTimestamp(1010n), 30n)
    const r = await again.append([makeBatch()], { durable: false })
    assert.equal(r.baseOffset, 75n)
    await again.close()
  })

  it('recovers a copy taken without close (a crash after the write)', async () => {
    const config = { segmentBytes: 300, indexIntervalBytes: 100 }
    const log = await open(config)
    const batches = await fill(log, 20)
    await log.flush()
    const crashed = tempDir()
    try {
      cpSync(tmp.dir, crashed.dir, { recursive: true })
      await log.close()
      const again = await open(config, crashed.dir)
      assert.equal(again.logEndOffset, 60n)
      assert.deepEqual(readAll(again), Buffer.concat(batches))
      assert.equal(truncations().length, 0)
      await again.close()
    } finally {
      crashed.cleanup()
    }
  })

  it('cuts a torn last batch and keeps every earlier one', async () => {
    const log = await open()
    const batches = await fill(log, 5)
    await log.close()
    const file = join(pdir(), logFiles(pdir())[0] as string)
    truncateSync(file, statSync(file).size - 3)
    unlinkSync(join(pdir(), CLEAN_SHUTDOWN_FILE))
    const again = await open()
    assert.equal(again.logEndOffset, 12n)
    assert.deepEqual(readAll(again), Buffer.concat(batches.slice(0, 4)))
    const [t] = truncations()
    assert.ok(t !== undefined)
    assert.equal(t.truncatedBytes, (batches[4] as Buffer).length - 3)
    assert.equal(t.firstLostOffset, '12')
    assert.equal((await again.append([makeBatch()], { durable: false })).baseOffset, 12n)
    await again.close()
  })

  it('cuts garbage appended after the last batch', async () => {
    const log = await open()
    const batches = await fill(log, 4)
    await log.close()
    appendFileSync(join(pdir(), logFiles(pdir())[0] as string), Buffer.from('garbage that is not a batch at all, surely'))
    unlinkSync(join(pdir(), CLEAN_SHUTDOWN_FILE))
    const again = await open()
    assert.deepEqual(readAll(again), Buffer.concat(batches))
    assert.equal(truncations().length, 1)
    await again.close()
  })

  it('drops a last batch whose CRC no longer matches', async () => {
    const log = await open()
    const batches = await fill(log, 4)
    await log.close()
    const file = join(pdir(), logFiles(pdir())[0] as string)
    const bytes = readFileSync(file)
    bytes.writeUInt8((bytes.readUInt8(bytes.length - 5) ^ 0x01), bytes.length - 5)
    writeFileSync(file, bytes)
    unlinkSync(join(pdir(), CLEAN_SHUTDOWN_FILE))
    const again = await open()
    assert.equal(again.logEndOffset, 9n)
    assert.deepEqual(readAll(again), Buffer.concat(batches.slice(0, 3)))
    assert.match(String(truncations()[0]?.reason), /CRC/)
    await again.close()
  })

  it('rebuilds a missing or garbage index of an older segment', async () => {
    const config = { segmentBytes: 300, indexIntervalBytes: 100 }
    const log = await open(config)
    const batches = await fill(log, 20)
    await log.close()
    const files = logFiles(pdir())
    assert.ok(files.length >= 3)
    unlinkSync(join(pdir(), (files[0] as string).replace('.log', '.index')))
    writeFileSync(join(pdir(), (files[1] as string).replace('.log', '.timeindex')), Buffer.from('torn!'))
    // A well-formed entry pointing into the middle of a batch.
    const idx = Buffer.alloc(8)
    idx.writeInt32BE(1, 0)
    idx.writeInt32BE(5, 4)
    writeFileSync(join(pdir(), (files[2] as string).replace('.log', '.index')), idx)
    const again = await open(config)
    assert.equal(lines.filter((l) => l.msg === 'segment index invalid, rebuilding').length, 3)
    assert.deepEqual(readAll(again), Buffer.concat(batches))
    for (let o = 0n; o < 60n; o++) {
      const r = again.read(o, 1)
      assert.ok(!('error' in r))
      assert.deepEqual(baseOffsetsOf(r.records), [o - (o % 3n)])
    }
    assert.equal(again.offsetForTimestamp(1007n), 21n)
    await again.close()
    assert.equal(statSync(join(pdir(), (files[0] as string).replace('.log', '.index'))).size % 8, 0)
  })

  it('tolerates a zero-length trailing segment, even after a torn tail before it', async () => {
    const log = await open()
    const batches = await fill(log, 3)
    await log.close()
    const first = join(pdir(), logFiles(pdir())[0] as string)
    truncateSync(first, statSync(first).size - 1)
    writeFileSync(join(pdir(), '00000000000000000009.log'), '')
    unlinkSync(join(pdir(), CLEAN_SHUTDOWN_FILE))
    const again = await open()
    assert.equal(again.logEndOffset, 6n)
    assert.equal(again.segmentCount, 1)
    assert.deepEqual(readAll(again), Buffer.concat(batches.slice(0, 2)))
    assert.equal((await again.append([makeBatch()], { durable: false })).baseOffset, 6n)
    await again.close()
  })

  it('opens an empty directory with a trailing empty segment only', async () => {
    const log = await open()
    await log.close()
    unlinkSync(join(pdir(), CLEAN_SHUTDOWN_FILE))
    const again = await open()
    assert.equal(again.logEndOffset, 0n)
    assert.equal(again.logStartOffset, 0n)
    assert.equal(readAll(again).length, 0)
    await again.close()
  })

  it('keeps exactly the whole batches before any truncation point (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ records: fc.integer({ min: 1, max: 4 }), payloadBytes: fc.integer({ min: 0, max: 150 }) }), { minLength: 1, maxLength: 25 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (specs, cutAt) => {
        const dir = join(tmp.dir, 'p')
        rmSync(dir, { recursive: true, force: true })
        const config = { segmentBytes: 1000, indexIntervalBytes: 200 }
        const log = await open(config, dir)
        for (const s of specs) await log.append([makeBatch(s)], { durable: false })
        const all = readAll(log)
        await log.close()
        const pd = pdir(dir)
        const files = logFiles(pd)
        const last = join(pd, files[files.length - 1] as string)
        const lastSize = statSync(last).size
        const cut = Math.floor(cutAt * lastSize)
        truncateSync(last, cut)
        unlinkSync(join(pd, CLEAN_SHUTDOWN_FILE))
        // Whole batches of the last segment before the cut survive; everything earlier too.
        const before = all.length - lastSize
        let keep = 0
        let end = 0n
        while (keep < all.length) {
          const size = 12 + all.readInt32BE(keep + 8)
          if (keep >= before && keep + size > before + cut) break
          end = all.readBigInt64BE(keep) + BigInt(all.readInt32BE(keep + 23)) + 1n
          keep += size
        }
        const again = await open(config, dir)
        assert.deepEqual(readAll(again), all.subarray(0, keep))
        assert.equal(again.logEndOffset, end)
        assert.equal(truncations().length, cut === lastSize ? 0 : keep === before + cut ? 0 : 1)
        const r = await again.append([makeBatch()], { durable: false })
        assert.equal(r.baseOffset, end)
        await again.close()
      },
    ), { numRuns: 60 })
  })
})
