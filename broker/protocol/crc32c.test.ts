import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { crc32c } from './crc32c.ts'

const require = createRequire(import.meta.url)
const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number

/** The textbook bit-at-a-time definition: the independent reference. */
function bitwise (data: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of data) {
    c ^= byte
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  }
  return (c ^ 0xffffffff) >>> 0
}

test('crc32c known vectors', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
  assert.equal(crc32c(Buffer.alloc(0)), 0)
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa)
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43)
})

test('crc32c matches the bitwise reference and kafkajs on random inputs of every alignment', () => {
  for (let len = 0; len < 200; len++) {
    const buf = randomBytes(len)
    assert.equal(crc32c(buf), bitwise(buf), `length ${len}`)
    assert.equal(crc32c(buf), kafkajsCrc(buf), `length ${len}`)
    // sub-views at odd offsets exercise the byteOffset handling
    if (len > 3) assert.equal(crc32c(buf.subarray(3)), bitwise(buf.subarray(3)))
  }
})

test('crc32c can be continued across pieces', () => {
  const buf = randomBytes(1000)
  for (const cut of [0, 1, 7, 8, 500, 999, 1000]) {
    assert.equal(crc32c(buf.subarray(cut), crc32c(buf.subarray(0, cut))), crc32c(buf))
  }
})

test('crc32c throughput (target: > 500 MB/s)', (t) => {
  const buf = randomBytes(16 * 1024 * 1024)
  crc32c(buf) // warm up
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint()
    crc32c(buf)
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  const mbps = buf.length / 1e6 / best
  // Only a loose floor here (CI machines vary); the target is checked on real hardware.
  assert.ok(mbps > 100, `crc32c ran at ${mbps.toFixed(0)} MB/s`)
  t.diagnostic(`crc32c: ${mbps.toFixed(0)} MB/s`)
})
