import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isValidSpanId, isValidTraceId, parseHexId, traceIdHex } from './ids.ts'

describe('ids', () => {
  it('validates trace and span ids', () => {
    assert.equal(isValidTraceId(Buffer.alloc(16, 1)), true)
    assert.equal(isValidTraceId(Buffer.alloc(16)), false)
    assert.equal(isValidTraceId(Buffer.alloc(8, 1)), false)
    assert.equal(isValidSpanId(Buffer.alloc(8, 1)), true)
    assert.equal(isValidSpanId(Buffer.alloc(8)), false)
    assert.equal(isValidSpanId(Buffer.alloc(0)), false)
  })

  it('hex round trip', () => {
    const id = new Uint8Array(Buffer.from('000102030405060708090a0b0c0d0eff', 'hex'))
    assert.equal(traceIdHex(id), '000102030405060708090a0b0c0d0eff')
    assert.deepStrictEqual(parseHexId('000102030405060708090A0B0C0D0EFF', 16), Buffer.from(id))
    assert.equal(parseHexId('0001', 16), undefined)
    assert.equal(parseHexId('zz0102030405060708090a0b0c0d0eff', 16), undefined)
  })
})
