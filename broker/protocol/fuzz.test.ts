/**
 * Hostile input: truncated, mutated and random bytes fed to every decoder must either decode or
 * throw ProtocolDecodeError — never a RangeError, TypeError or an out-of-memory allocation.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { apis } from './apis/index.ts'
import type { AnyApiCodec } from './apis/index.ts'
import { ProtocolDecodeError } from './errors.ts'
import { fixtureDir, fromHex } from './fixtures/hex.ts'
import { decodeRecords, encodeRecordBatch, splitRecordBatches, validateRecordBatch } from './record-batch.ts'
import { Reader } from './reader.ts'
import { decodeRequestHeader } from './request-header.ts'

const codecs = Object.values(apis) as AnyApiCodec[]

function onlyDecodeErrors (fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if (!(err instanceof ProtocolDecodeError)) throw err
  }
}

function fixture (codec: AnyApiCodec, v: number, kind: 'request' | 'response'): Buffer {
  return fromHex(readFileSync(new URL(`./fixtures/${fixtureDir(codec.name)}/v${v}_${kind}.hex`, import.meta.url), 'utf8'))
}

for (const codec of codecs) {
  test(`${codec.name}: every strict prefix of every fixture throws ProtocolDecodeError`, () => {
    for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
      for (const kind of ['request', 'response'] as const) {
        const bytes = fixture(codec, v, kind)
        for (let n = 0; n < bytes.length; n++) {
          const r = new Reader(bytes.subarray(0, n))
          // ApiVersions requests are empty: a prefix decodes trivially.
          if (codec.apiKey === 18 && kind === 'request') continue
          assert.throws(() => kind === 'request' ? codec.decodeRequest(v, r) : codec.decodeResponse(v, r), ProtocolDecodeError,
            `${kind} v${v} cut at ${n}/${bytes.length}`)
        }
      }
    }
  })

  test(`${codec.name}: random and mutated bytes only ever throw ProtocolDecodeError`, () => {
    const version = fc.integer({ min: codec.minVersion, max: codec.maxVersion })
    fc.assert(fc.property(version, fc.uint8Array({ maxLength: 200 }), (v, bytes) => {
      onlyDecodeErrors(() => codec.decodeRequest(v, new Reader(Buffer.from(bytes))))
      onlyDecodeErrors(() => codec.decodeResponse(v, new Reader(Buffer.from(bytes))))
    }), { numRuns: 300 })
    // Valid fixtures with a few bytes overwritten: reaches deep into the structure.
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
    fc.assert(fc.property(version, fc.constantFrom('request', 'response'), mutation, (v, kind, edits) => {
      const bytes = Buffer.from(fixture(codec, v, kind as 'request' | 'response'))
      if (bytes.length === 0) return
      for (const [at, value] of edits) bytes[at % bytes.length] = value
      const r = new Reader(bytes)
      onlyDecodeErrors(() => kind === 'request' ? codec.decodeRequest(v, r) : codec.decodeResponse(v, r))
    }), { numRuns: 300 })
  })
}

test('request headers: random bytes only throw ProtocolDecodeError', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
    onlyDecodeErrors(() => decodeRequestHeader(Buffer.from(bytes)))
  }))
})

test('record batches: mutations never escape validate, split or decode', () => {
  const batch = encodeRecordBatch({
    records: [
      { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1000n, headers: [{ key: 'a', value: Buffer.from('b') }] },
      { key: null, value: Buffer.alloc(40, 1), timestamp: 1005n },
    ],
  })
  const gz = encodeRecordBatch({ compression: 'gzip', records: [{ key: null, value: Buffer.from('x'), timestamp: 1n }] })
  const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
  fc.assert(fc.property(fc.constantFrom(batch, gz), mutation, fc.nat(), (src, edits, cut) => {
    const b = Buffer.from(src)
    for (const [at, value] of edits) b[at % b.length] = value
    const v = validateRecordBatch(b)
    assert.equal(typeof v.ok, 'boolean')
    onlyDecodeErrors(() => decodeRecords(b))
    onlyDecodeErrors(() => splitRecordBatches(b.subarray(0, cut % (b.length + 1))))
  }), { numRuns: 1000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
    const b = Buffer.from(bytes)
    validateRecordBatch(b)
    onlyDecodeErrors(() => decodeRecords(b))
    onlyDecodeErrors(() => splitRecordBatches(b))
  }))
})
