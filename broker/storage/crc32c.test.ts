import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readBatchHeader } from './batch-header.ts'
import { crc32c } from './crc32c.ts'
import { makeBatch } from './test-helpers.ts'

void describe('crc32c', () => {
  void it('matches the standard check values', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
    assert.equal(crc32c(Buffer.alloc(0)), 0)
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa)
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43)
  })

  void it('agrees with the bytewise definition on every length and offset', () => {
    const slow = (b: Buffer): number => {
      let c = 0xffffffff
      for (const x of b) {
        c ^= x
        for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
      }
      return (c ^ 0xffffffff) >>> 0
    }
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff))
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 7) assert.equal(crc32c(data, start, end), slow(data.subarray(start, end)))
    }
  })
})

void describe('batch header', () => {
  void it('reads the fields storage needs', () => {
    const b = makeBatch({ records: 4, baseTimestamp: 5n, maxTimestamp: 9n, payloadBytes: 7 })
    b.writeBigInt64BE(42n, 0)
    const h = readBatchHeader(b)
    assert.deepEqual(h, { baseOffset: 42n, size: 68, magic: 2, crc: h.crc, lastOffsetDelta: 3, maxTimestamp: 9n })
    assert.equal(h.crc, crc32c(b, 21))
  })
})
