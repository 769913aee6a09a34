import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { PartitionWatermarks } from './watermarks.ts'

describe('PartitionWatermarks', () => {
  it('is the first offset still held in memory, else the next offset to consume', () => {
    const w = new PartitionWatermarks()
    assert.equal(w.watermark(0), undefined)
    const a = { durable: false }
    const b = { durable: false }
    w.hold(0, 10n, a)
    w.consumed(0, 11n)
    w.consumed(0, 12n) // offset 11 left nothing in memory (dropped or refused)
    w.hold(0, 12n, b)
    w.consumed(0, 13n)
    assert.equal(w.watermark(0), 10n)
    b.durable = true
    assert.equal(w.watermark(0), 10n, 'a later holder turning durable does not move it')
    a.durable = true
    assert.equal(w.watermark(0), 13n)
    assert.equal(w.pending(0), 0)
    assert.equal(w.watermark(1), undefined, 'partitions are independent')
  })

  it('never commits past data that is not durable (property)', () => {
    fc.assert(fc.property(fc.array(fc.record({ holds: fc.boolean(), flushAfter: fc.nat(20) }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (records, base) => {
      const w = new PartitionWatermarks()
      const holders: { offset: bigint, h: { durable: boolean }, flushAt: number }[] = []
      records.forEach((r, i) => {
        const offset = BigInt(base + i)
        if (r.holds) {
          const h = { durable: false }
          holders.push({ offset, h, flushAt: i + r.flushAfter })
          w.hold(3, offset, h)
        }
        w.consumed(3, offset + 1n)
        for (const x of holders) if (x.flushAt <= i) x.h.durable = true
        const expected = holders.filter((x) => !x.h.durable).map((x) => x.offset).reduce((m, o) => o < m ? o : m, offset + 1n)
        assert.equal(w.watermark(3), expected)
      })
    }), { numRuns: 300 })
  })

  it('compacts its queue as holders turn durable', () => {
    const w = new PartitionWatermarks()
    for (let i = 0; i < 10_000; i++) {
      const h = { durable: false }
      w.hold(0, BigInt(i), h)
      w.consumed(0, BigInt(i + 1))
      h.durable = true
      assert.equal(w.watermark(0), BigInt(i + 1))
    }
    assert.equal(w.pending(0), 0)
  })
})
