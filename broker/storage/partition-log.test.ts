import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { ManualClock } from '../../test/fakes/clock.ts'
import type { StorageConfig } from './config.ts'
import { InvalidBatchError } from './errors.ts'
import { PartitionLog } from './partition-log.ts'
import { baseOffsetsOf, captureLogger, makeBatch, tempDir } from './test-helpers.ts'

describe('PartitionLog', () => {
  let tmp: ReturnType<typeof tempDir>
  const clock = new ManualClock()
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => { tmp.cleanup() })

  const open = (config: Partial<StorageConfig> = {}, onFsync?: () => void): Promise<PartitionLog> =>
    PartitionLog.open({ dir: tmp.dir, topic: 't', partition: 0, clock, logger: captureLogger().logger, config, ...(onFsync === undefined ? {} : { onFsync }) })

  it('assigns contiguous offsets and reads across several segments', async () => {
    const log = await open({ segmentBytes: 400, indexIntervalBytes: 100, fsync: 'never' })
    const batches: Buffer[] = []
    for (let i = 0; i < 20; i++) {
      const b = makeBatch({ records: 3, payloadBytes: 40 + i })
      batches.push(b)
      const r = await log.append([b], { durable: false })
      assert.equal(r.baseOffset, BigInt(i * 3))
      assert.equal(r.lastOffset, BigInt(i * 3 + 2))
      assert.equal(r.logStartOffset, 0n)
    }
    assert.ok(log.segmentCount > 3, `segments: ${log.segmentCount}`)
    assert.equal(log.logEndOffset, 60n)
    assert.equal(readdirSync(join(tmp.dir, 't-0')).filter((f) => f.endsWith('.log')).length, log.segmentCount)
    assert.ok(readdirSync(join(tmp.dir, 't-0')).includes('00000000000000000000.log'))

    const all = log.read(0n, 1 << 20)
    assert.ok(!('error' in all))
    assert.deepEqual(all.records, Buffer.concat(batches))
    assert.equal(all.highWatermark, 60n)
    // Every offset reads from the batch that contains it.
    for (let o = 0; o < 60; o++) {
      const r = log.read(BigInt(o), 1)
      assert.ok(!('error' in r))
      assert.deepEqual(baseOffsetsOf(r.records), [BigInt(o - (o % 3))])
    }
    await log.close()
  })

  it('appends several batches in one call', async () => {
    const log = await open({ fsync: 'never' })
    const r = await log.append([makeBatch({ records: 2 }), makeBatch({ records: 5 }), makeBatch()], { durable: false })
    assert.deepEqual([r.baseOffset, r.lastOffset], [0n, 7n])
    const read = log.read(0n, 1 << 20)
    assert.ok(!('error' in read))
    assert.deepEqual(baseOffsetsOf(read.records), [0n, 2n, 7n])
    await log.close()
  })

  it('returns at least one whole batch even when it exceeds maxBytes (KIP-74)', async () => {
    const log = await open({ fsync: 'never' })
    await log.append([makeBatch({ payloadBytes: 1000 }), makeBatch({ payloadBytes: 10 }), makeBatch({ payloadBytes: 10 })], { durable: false })
    const one = log.read(0n, 100)
    assert.ok(!('error' in one))
    assert.equal(one.records.length, 1061)
    const two = log.read(1n, 71 * 2 + 5)
    assert.ok(!('error' in two))
    assert.deepEqual(baseOffsetsOf(two.records), [1n, 2n])
    const cut = log.read(0n, 1061 + 70)
    assert.ok(!('error' in cut))
    assert.deepEqual(baseOffsetsOf(cut.records), [0n])
    await log.close()
  })

  it('reads from the batch containing an offset in its middle', async () => {
    const log = await open({ fsync: 'never' })
    await log.append([makeBatch({ records: 5 }), makeBatch({ records: 5 })], { durable: false })
    const r = log.read(7n, 1 << 20)
    assert.ok(!('error' in r))
    assert.deepEqual(baseOffsetsOf(r.records), [5n])
    await log.close()
  })

  it('answers out of range outside [logStart, logEnd] and empty at the end', async () => {
    const log = await open({ fsync: 'never' })
    await log.append([makeBatch({ records: 4 })], { durable: false })
    assert.deepEqual(log.read(5n, 100), { error: 'offset_out_of_range', highWatermark: 4n, logStartOffset: 0n })
    assert.deepEqual(log.read(-1n, 100), { error: 'offset_out_of_range', highWatermark: 4n, logStartOffset: 0n })
    const end = log.read(4n, 100)
    assert.ok(!('error' in end))
    assert.equal(end.records.length, 0)
    await log.close()
  })

  it('rejects bad framing before writing anything', async () => {
    const log = await open({ fsync: 'never' })
    const bad = makeBatch()
    bad.writeInt8(1, 16)
    await assert.rejects(log.append([makeBatch(), bad], { durable: false }), InvalidBatchError)
    await assert.rejects(log.append([makeBatch().subarray(0, 70)], { durable: false }), InvalidBatchError)
    assert.equal(log.logEndOffset, 0n)
    await log.close()
  })

  it('deletes old segments by size, never the active one', async () => {
    const config = { segmentBytes: 200, retentionBytes: 300, retentionMs: -1 }
    const log = await open({ ...config, fsync: 'never' })
    // 100 bytes each: five segments of two batches, the last one active.
    for (let i = 0; i < 10; i++) await log.append([makeBatch({ payloadBytes: 39 })], { durable: false })
    assert.equal(log.segmentCount, 5)
    // Kafka's rule: delete while what remains is still ≥ retentionBytes (1000 → 800 → 600 → 400).
    assert.equal(log.enforceRetention(clock.now()), 3)
    assert.equal(log.segmentCount, 2)
    assert.equal(log.sizeBytes, 400)
    assert.equal(log.logStartOffset, 6n)
    assert.deepEqual(log.read(0n, 100), { error: 'offset_out_of_range', highWatermark: 10n, logStartOffset: 6n })
    const first = log.read(6n, 1)
    assert.ok(!('error' in first))
    assert.deepEqual(baseOffsetsOf(first.records), [6n])
    assert.equal(log.enforceRetention(clock.now()), 0)
    const r = await log.append([makeBatch()], { durable: false })
    assert.equal(r.logStartOffset, 6n)
    await log.close()
    const again = await open(config)
    assert.equal(again.logStartOffset, 6n)
    assert.equal(again.logEndOffset, 11n)
    await again.close()
  })

  it('deletes segments older than retentionMs by their newest timestamp', async () => {
    const now = BigInt(clock.now())
    const log = await open({ segmentBytes: 100, retentionMs: 60_000, fsync: 'never' })
    await log.append([makeBatch({ payloadBytes: 39, maxTimestamp: now - 120_000n })], { durable: false })
    await log.append([makeBatch({ payloadBytes: 39, maxTimestamp: now - 90_000n })], { durable: false })
    await log.append([makeBatch({ payloadBytes: 39, maxTimestamp: now - 10_000n })], { durable: false })
    await log.append([makeBatch({ payloadBytes: 39, maxTimestamp: now - 200_000n })], { durable: false }) // active
    assert.equal(log.segmentCount, 4)
    assert.equal(log.enforceRetention(clock.now()), 2)
    assert.equal(log.logStartOffset, 2n)
    clock.advance(60_000)
    // The third segment is now old too; the active one stays whatever its age.
    assert.equal(log.enforceRetention(clock.now()), 1)
    assert.equal(log.segmentCount, 1)
    assert.equal(log.logStartOffset, 3n)
    await log.close()
  })

  it('finds offsets by timestamp through the time index', async () => {
    const log = await open({ segmentBytes: 1000, indexIntervalBytes: 150, fsync: 'never' })
    // maxTimestamps 1000, 1010, ... with one out-of-order batch.
    const stamps = [1000n, 1010n, 1020n, 1005n, 1040n, 1050n, 1060n, 1070n, 1080n, 1090n, 1100n, 1110n, 1120n, 1130n, 1140n, 1150n, 1160n, 1170n, 1180n, 1190n]
    for (const ts of stamps) await log.append([makeBatch({ records: 2, maxTimestamp: ts, payloadBytes: 39 })], { durable: false })
    assert.ok(log.segmentCount > 1)
    const expectFor = (ts: bigint): bigint | null => {
      const i = stamps.findIndex((s) => s >= ts)
      return i < 0 ? null : BigInt(i * 2)
    }
    for (let ts = 990n; ts <= 1200n; ts += 5n) {
      assert.equal(log.offsetForTimestamp(ts), expectFor(ts), `ts ${ts}`)
    }
    const b = log.batchAtOrAfterTimestamp(1031n)
    assert.ok(b !== null)
    assert.equal(b.baseOffset, 8n)
    assert.equal(b.batch.readBigInt64BE(0), 8n)
    assert.equal(b.batch.readBigInt64BE(35), 1040n)
    assert.equal(log.batchAtOrAfterTimestamp(5000n), null)
    await log.close()
    const again = await open({ segmentBytes: 1000, indexIntervalBytes: 150 })
    for (let ts = 990n; ts <= 1200n; ts += 5n) assert.equal(again.offsetForTimestamp(ts), expectFor(ts))
    await again.close()
  })

  it('notifies subscribers after every append until unsubscribed', async () => {
    const log = await open({ fsync: 'never' })
    let calls = 0
    const off = log.subscribe(() => { calls++ })
    await log.append([makeBatch()], { durable: false })
    await log.append([makeBatch(), makeBatch()], { durable: false })
    off()
    await log.append([makeBatch()], { durable: false })
    assert.equal(calls, 2)
    await log.close()
  })

  it('group-commits concurrent durable appends into few fsyncs', async () => {
    let fsyncs = 0
    const log = await open({ fsync: 'always' }, () => { fsyncs++ })
    const results = await Promise.all(Array.from({ length: 50 }, () => log.append([makeBatch({ payloadBytes: 1000 })], { durable: true })))
    assert.deepEqual(results.map((r) => r.baseOffset), Array.from({ length: 50 }, (_, i) => BigInt(i)))
    assert.equal(log.fsyncCount, fsyncs)
    // One sync for the first append, one covering the other 49 written meanwhile.
    assert.ok(fsyncs >= 1 && fsyncs <= 3, `fsyncs: ${fsyncs}`)
    await log.close()
  })

  it('fsyncs on the injected clock under the interval policy', async () => {
    const c = new ManualClock()
    const log = await PartitionLog.open({ dir: tmp.dir, topic: 't', partition: 0, clock: c, logger: captureLogger().logger, config: { fsync: 'interval', fsyncIntervalMs: 100 } })
    await log.append([makeBatch()], { durable: true })
    assert.equal(log.fsyncCount, 0)
    c.advance(100)
    await log.flush() // waits for the sync the timer started
    assert.equal(log.fsyncCount, 1)
    c.advance(100) // nothing new written: no sync
    await log.flush()
    assert.equal(log.fsyncCount, 1)
    await log.close()
    assert.equal(c.pendingTimers, 0)
  })

  it('stamps the baseOffset in the caller buffer and keeps the CRC valid', async () => {
    const log = await open({ fsync: 'never' })
    await log.append([makeBatch({ records: 3 })], { durable: false })
    const b = makeBatch()
    const crc = b.readUInt32BE(17)
    await log.append([b], { durable: false })
    assert.equal(b.readBigInt64BE(0), 3n)
    assert.equal(b.readUInt32BE(17), crc)
    await log.close()
  })

  it('reads agree with a simple model for any batches, offsets and budgets (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ records: fc.integer({ min: 1, max: 5 }), payloadBytes: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 1500 })), { minLength: 1, maxLength: 10 }),
      async (specs, reads) => {
        const sub = tempDir()
        try {
          const log = await PartitionLog.open({ dir: sub.dir, topic: 't', partition: 0, clock, logger: captureLogger().logger, config: { segmentBytes: 700, indexIntervalBytes: 150, fsync: 'never' } })
          const model: { base: bigint, last: bigint, bytes: Buffer }[] = []
          for (const spec of specs) {
            const b = makeBatch(spec)
            const r = await log.append([b], { durable: false })
            model.push({ base: r.baseOffset, last: r.lastOffset, bytes: b })
          }
          const end = (model[model.length - 1] as { last: bigint }).last + 1n
          for (const [o, maxBytes] of reads) {
            const offset = BigInt(o) % (end + 1n)
            const got = log.read(offset, maxBytes)
            assert.ok(!('error' in got))
            const from = model.findIndex((m) => m.last >= offset)
            const want: Buffer[] = []
            let total = 0
            for (const m of from < 0 ? [] : model.slice(from)) {
              if (want.length > 0 && total + m.bytes.length > maxBytes) break
              want.push(m.bytes)
              total += m.bytes.length
            }
            assert.deepEqual(got.records, Buffer.concat(want))
          }
          await log.close()
        } finally {
          sub.cleanup()
        }
      },
    ), { numRuns: 40 })
  })
})
