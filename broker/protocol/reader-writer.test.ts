import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { ProtocolDecodeError } from './errors.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'

const require = createRequire(import.meta.url)
const KjsEncoder = require('kafkajs/src/protocol/encoder.js') as new () => {
  writeVarInt: (v: number) => unknown
  writeVarLong: (v: unknown) => unknown
  buffer: Buffer
}
const Long = require('kafkajs/src/utils/long.js') as { fromString: (s: string) => unknown }

const isDecodeError = (field: string) => (e: unknown): boolean =>
  e instanceof ProtocolDecodeError && e.field === field && e.message.includes(field)

test('primitives round-trip at their edges', () => {
  const w = new Writer(16) // small on purpose: forces the scratch buffer to grow
  w.int8(-128).int8(127).int16(-32768).int16(32767).int32(-2147483648).int32(2147483647).uint32(4294967295)
  w.int64(-(2n ** 63n)).int64(2n ** 63n - 1n).boolean(true).boolean(false)
  w.string('').string('héllo ✓').nullableString(null).nullableString('x')
  w.bytes(Buffer.from([1, 2, 3])).nullableBytes(null).nullableBytes(Buffer.alloc(0))
  w.varint(0).varint(-1).varint(2147483647).varint(-2147483648)
  w.varlong(0n).varlong(-1n).varlong(2n ** 63n - 1n).varlong(-(2n ** 63n))
  w.varintString(null).varintString('k').varintBytes(null).varintBytes(Buffer.from('v'))
  w.array([1, 2], (w, x) => w.int32(x)).nullableArray(null, (w, x: number) => w.int32(x)).stringArray(['a', 'b'])
  const r = new Reader(w.toBuffer())
  assert.deepEqual([r.int8(), r.int8(), r.int16(), r.int16(), r.int32(), r.int32(), r.uint32()],
    [-128, 127, -32768, 32767, -2147483648, 2147483647, 4294967295])
  assert.deepEqual([r.int64(), r.int64(), r.boolean(), r.boolean()], [-(2n ** 63n), 2n ** 63n - 1n, true, false])
  assert.deepEqual([r.string(), r.string(), r.nullableString(), r.nullableString()], ['', 'héllo ✓', null, 'x'])
  assert.deepEqual([r.bytes(), r.nullableBytes(), r.nullableBytes()], [Buffer.from([1, 2, 3]), null, Buffer.alloc(0)])
  assert.deepEqual([r.varint(), r.varint(), r.varint(), r.varint()], [0, -1, 2147483647, -2147483648])
  assert.deepEqual([r.varlong(), r.varlong(), r.varlong(), r.varlong()], [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)])
  assert.deepEqual([r.varintString(), r.varintString(), r.varintBytes(), r.varintBytes()], [null, 'k', null, Buffer.from('v')])
  assert.deepEqual(r.array('a', (r) => r.int32()), [1, 2])
  assert.equal(r.nullableArray('n', (r) => r.int32()), null)
  assert.deepEqual(r.stringArray('s'), ['a', 'b'])
  assert.equal(r.remaining, 0)
})

test('varint and varlong encodings match kafkajs', () => {
  fc.assert(fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, l) => {
    const ours = new Writer().varint(i).varlong(l).toBuffer()
    const theirs = new KjsEncoder()
    theirs.writeVarInt(i)
    theirs.writeVarLong(Long.fromString(l.toString()))
    assert.deepEqual(ours, theirs.buffer)
    const r = new Reader(ours)
    assert.equal(r.varint(), i)
    assert.equal(r.varlong(), l)
  }))
})

test('reads past the end throw ProtocolDecodeError naming the field', () => {
  const r = new Reader(Buffer.from([0, 1, 2]))
  assert.throws(() => r.int32('replica_id'), isDecodeError('replica_id'))
  assert.throws(() => r.int64('fetch_offset'), isDecodeError('fetch_offset'))
  assert.equal(r.int16('x'), 1) // a failed read consumes nothing
  assert.throws(() => r.int16('y'), isDecodeError('y'))
  assert.throws(() => new Reader(Buffer.from([0x80, 0x80])).varint('len'), isDecodeError('len'))
  assert.throws(() => new Reader(Buffer.alloc(6, 0xff)).varint('len'), isDecodeError('len'))
  assert.throws(() => new Reader(Buffer.alloc(11, 0xff)).varlong('ts'), isDecodeError('ts'))
})

test('bad lengths and counts throw before allocating', () => {
  const neg = (n: number, size: 2 | 4): Buffer => {
    const b = Buffer.alloc(size)
    if (size === 2) b.writeInt16BE(n)
    else b.writeInt32BE(n)
    return b
  }
  assert.throws(() => new Reader(neg(-2, 2)).nullableString('name'), isDecodeError('name'))
  assert.throws(() => new Reader(neg(-1, 2)).string('name'), isDecodeError('name'))
  assert.throws(() => new Reader(neg(100, 2)).string('name'), isDecodeError('name'))
  assert.throws(() => new Reader(neg(-5, 4)).nullableBytes('records'), isDecodeError('records'))
  assert.throws(() => new Reader(neg(-1, 4)).bytes('metadata'), isDecodeError('metadata'))
  assert.throws(() => new Reader(neg(0x7fffffff, 4)).bytes('records'), isDecodeError('records'))
  assert.throws(() => new Reader(neg(0x7fffffff, 4)).array('topics', (r) => r.int8()), isDecodeError('topics'))
  assert.throws(() => new Reader(neg(-3, 4)).nullableArray('topics', (r) => r.int8()), isDecodeError('topics'))
  assert.throws(() => new Reader(neg(-1, 4)).array('topics', (r) => r.int8()), isDecodeError('topics'))
  // count fits the bytes only at 1 byte per element, not at the declared minimum of 4
  assert.throws(() => new Reader(Buffer.concat([neg(3, 4), Buffer.alloc(3)])).int32Array('replicas'), isDecodeError('replicas'))
  assert.equal(new Reader(Buffer.from([0x01])).varintBytes('key'), null) // zigzag 0x01 is -1: null
  assert.throws(() => new Reader(Buffer.from([0x03])).varintBytes('key'), isDecodeError('key')) // -2
  assert.throws(() => new Reader(Buffer.from([0x04])).varintBytes('key'), isDecodeError('key')) // 2, nothing follows
})

test('bytes() returns a view, and the writer references large buffers instead of copying', () => {
  const src = Buffer.from([0, 0, 0, 2, 7, 8])
  const view = new Reader(src).bytes()
  src[4] = 9
  assert.equal(view[0], 9)

  const big = Buffer.alloc(64 * 1024, 7)
  const w = new Writer().int32(big.length).raw(big).int16(5)
  const chunks = w.toChunks()
  assert.ok(chunks.includes(big), 'the record set is one of the chunks, by reference')
  assert.equal(w.length, 4 + big.length + 2)
  const all = w.toBuffer()
  assert.equal(all.length, w.length)
  assert.equal(all.readInt32BE(0), big.length)
  assert.equal(all.readInt16BE(4 + big.length), 5)
})

test('a reader window bounds every read', () => {
  const buf = Buffer.from([0, 0, 0, 1, 0, 0, 0, 2])
  const r = new Reader(buf, 0, 4)
  assert.equal(r.int32(), 1)
  assert.throws(() => r.int32('next'), isDecodeError('next'))
  assert.throws(() => new Reader(buf, 4, 100), ProtocolDecodeError)
})

test('property: any sequence of writes reads back', () => {
  const op = fc.oneof(
    fc.integer({ min: -128, max: 127 }).map((v) => ['int8', v] as const),
    fc.integer({ min: -2147483648, max: 2147483647 }).map((v) => ['int32', v] as const),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ['int64', v] as const),
    fc.option(fc.string({ maxLength: 40 })).map((v) => ['string', v] as const),
    fc.option(fc.uint8Array({ maxLength: 3000 })).map((v) => ['bytes', v === null ? null : Buffer.from(v)] as const),
    fc.integer({ min: -2147483648, max: 2147483647 }).map((v) => ['varint', v] as const),
  )
  fc.assert(fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
    const w = new Writer(16)
    for (const [kind, v] of ops) {
      if (kind === 'int8') w.int8(v)
      else if (kind === 'int32') w.int32(v)
      else if (kind === 'int64') w.int64(v)
      else if (kind === 'string') w.nullableString(v)
      else if (kind === 'bytes') w.nullableBytes(v)
      else w.varint(v)
    }
    const r = new Reader(w.toBuffer())
    for (const [kind, v] of ops) {
      const got = kind === 'int8' ? r.int8() : kind === 'int32' ? r.int32() : kind === 'int64' ? r.int64()
        : kind === 'string' ? r.nullableString() : kind === 'bytes' ? r.nullableBytes() : r.varint()
      assert.deepEqual(got, v)
    }
    assert.equal(r.remaining, 0)
  }))
})
