import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readPartialSuccess } from './otlp-response.ts'
import { tokenBucket } from './pacer.ts'

describe('tokenBucket', () => {
  it('lets a burst through, then spaces reservations at the rate, shared by all callers', () => {
    let now = 0
    const bucket = tokenBucket(1000, 100, () => now)
    assert.equal(bucket.reserve(100), 0)
    assert.equal(bucket.reserve(100), 100)
    assert.equal(bucket.reserve(100), 200)
    now = 250
    assert.equal(bucket.reserve(100), 50, 'the next slot after 100 and 200 ms is 300 ms')
    now = 10_000
    assert.equal(bucket.reserve(100), 0, 'refilled, but never above the burst')
    assert.equal(bucket.reserve(50), 50)
  })

  it('never waits without a rate', () => {
    const bucket = tokenBucket(0, 10, () => 0)
    for (let i = 0; i < 5; i++) assert.equal(bucket.reserve(1e6), 0)
  })
})

describe('readPartialSuccess', () => {
  it('reads protobuf and JSON responses; empty or unreadable ones accept everything', () => {
    const proto = Buffer.from([0x0a, 0x06, 0x08, 0xac, 0x02, 0x12, 0x01, 0x78])
    assert.deepStrictEqual(readPartialSuccess(proto, 'application/x-protobuf'), { rejectedSpans: 300, errorMessage: 'x' })
    assert.deepStrictEqual(readPartialSuccess(Buffer.from('{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too big"}}'), 'application/json'), { rejectedSpans: 3, errorMessage: 'too big' })
    const none = { rejectedSpans: 0, errorMessage: '' }
    assert.deepStrictEqual(readPartialSuccess(Buffer.alloc(0), 'application/x-protobuf'), none)
    assert.deepStrictEqual(readPartialSuccess(Buffer.from('{}'), 'application/json'), none)
    assert.deepStrictEqual(readPartialSuccess(Buffer.from('not json'), 'application/json'), none)
    assert.deepStrictEqual(readPartialSuccess(Buffer.from([0x0a, 0x09, 0x08]), 'application/x-protobuf'), none)
  })
})
