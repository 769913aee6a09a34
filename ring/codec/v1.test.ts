/**
 * Golden fixtures, round trips and malformed input for the v1 ring codec. These tests never
 * write fixtures (fixtures/generate.ts does, once).
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { arbRing } from '../arbitraries.ts'
import { RingCodecError } from '../errors.ts'
import { member, owner, partition, ring, t } from '../testing.ts'
import { decodeMessage, encodeMessage } from './index.ts'
import { fromHex } from '../../test/helpers/hex.ts'
import { v1Samples } from './test-samples.ts'
import { decode, defaultLimits, encode } from './v1.ts'
import type { RingMessage } from './v1.ts'

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url))
const fixture = (name: string): Buffer => fromHex(readFileSync(join(dir, `v1_${name}.hex`), 'utf8'))
const isCodecError = (e: unknown): boolean => e instanceof RingCodecError

describe('v1 golden fixtures', () => {
  for (const [name, expected] of Object.entries(v1Samples)) {
    it(`v1_${name}.hex decodes to the sample and re-encodes byte for byte`, () => {
      const bytes = fixture(name)
      const msg = decodeMessage(bytes)
      assert.deepEqual(msg, expected)
      assert.deepEqual(encode(msg), bytes)
      assert.deepEqual(encodeMessage(expected), bytes)
    })
  }

  it('every v1 fixture file has a sample (none is orphaned or renamed)', () => {
    const files = readdirSync(dir).filter((f) => f.startsWith('v1_') && f.endsWith('.hex')).sort()
    assert.deepEqual(files, Object.keys(v1Samples).map((n) => `v1_${n}.hex`).sort())
  })

  it('a heartbeat delta stays small', () => {
    assert.ok(fixture('delta_heartbeat').length < 128)
  })
})

describe('v1 round trips', () => {
  it('decode(encode(m)) equals m, and re-encoding gives the same bytes (property)', () => {
    const arbMsg = fc.tuple(fc.constantFrom('full' as const, 'delta' as const), arbRing).map(([kind, state]): RingMessage => ({ kind, state }))
    fc.assert(fc.property(arbMsg, (m) => {
      const bytes = encode(m)
      const back = decode(bytes)
      assert.deepEqual(back, m)
      assert.deepEqual(encode(back), bytes)
    }), { numRuns: 500 })
  })

  it('encodes the same state the same way whatever the map insertion order', () => {
    const a = ring({ partitions: [partition(2, 'active', t(5), 'w'), partition(1, 'active', t(5), 'w')], owners: [owner('b', 1, 'active', 'z', t(1)), owner('a', 2, 'active', 'z', t(1)), owner('a', 1, 'active', 'z', t(1))] })
    const b = ring({ partitions: [partition(1, 'active', t(5), 'w'), partition(2, 'active', t(5), 'w')], owners: [owner('a', 1, 'active', 'z', t(1)), owner('a', 2, 'active', 'z', t(1)), owner('b', 1, 'active', 'z', t(1))] })
    assert.deepEqual(encode({ kind: 'delta', state: a }), encode({ kind: 'delta', state: b }))
  })
})

describe('v1 malformed input throws RingCodecError only', () => {
  const full = fixture('full')

  it('every truncation of a valid message is rejected', () => {
    for (let n = 0; n < full.length; n++) assert.throws(() => decodeMessage(full.subarray(0, n)), isCodecError, `prefix of ${n} bytes`)
  })

  const cases: { name: string, bytes: () => Uint8Array, field: string }[] = [
    { name: 'an empty message', bytes: () => new Uint8Array(0), field: 'version' },
    { name: 'an unknown version', bytes: () => Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), field: 'version' },
    { name: 'version 0', bytes: () => Buffer.from([0, 0]), field: 'version' },
    { name: 'an unknown message kind', bytes: () => Buffer.from([1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), field: 'kind' },
    { name: 'trailing bytes', bytes: () => Buffer.concat([fixture('empty_full'), Buffer.from([0])]), field: 'message' },
    { name: 'a partition count above the limit', bytes: () => Buffer.from([1, 0, 0xff, 0xff, 0xff, 0xff]), field: 'partitions' },
    { name: 'a partition id above int32', bytes: () => patch(fixture('delta_partition'), 6, [0x80, 0, 0, 0]), field: 'partition.id' },
    { name: 'an unknown partition state', bytes: () => patch(fixture('delta_partition'), 10, [9]), field: 'partition.state' },
    { name: 'a lock byte that is not a boolean', bytes: () => patch(fixture('delta_partition'), 21, [2]), field: 'partition.locked' },
    { name: 'an unknown owner state', bytes: () => patch(fixture('delta_owner_tombstone'), 10 + 1 + 19 + 4, [7]), field: 'owner.state' },
    { name: 'an empty writer id', bytes: () => encodeRaw((w) => { w.push(0) }), field: 'partition.state.writer' },
    { name: 'invalid UTF-8 in an id', bytes: () => patch(fixture('delta_heartbeat'), 15, [0xff]), field: 'member.id' },
    { name: 'too many addresses', bytes: () => patch(fixture('delta_heartbeat'), 14 + 20 + 1 + 7, [17]), field: 'member.addresses' },
    { name: 'partitions out of order', bytes: () => twoPartitions(5, 5), field: 'partition.id' },
    { name: 'descending partitions', bytes: () => twoPartitions(6, 5), field: 'partition.id' },
  ]
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => decodeMessage(c.bytes()), (e: unknown) => e instanceof RingCodecError && e.field === c.field)
    })
  }

  it('rejects an oversized message before parsing it', () => {
    const limits = { ...defaultLimits, maxBytes: 100 }
    assert.throws(() => decodeMessage(full, limits), (e: unknown) => e instanceof RingCodecError && e.field === 'message')
    assert.throws(() => decode(full, limits), (e: unknown) => e instanceof RingCodecError && e.field === 'message')
  })

  it('rejects more entries than the limit allows', () => {
    const limits = { ...defaultLimits, maxMembers: 2 }
    assert.throws(() => decodeMessage(full, limits), (e: unknown) => e instanceof RingCodecError && e.field === 'members')
  })

  it('refuses to encode what it could not decode', () => {
    const bad: RingMessage[] = [
      { kind: 'delta', state: ring({ partitions: [partition(-1, 'active', t(1), 'w')] }) },
      { kind: 'delta', state: ring({ partitions: [partition(1, 'active', t(2 ** 48), 'w')] }) },
      { kind: 'delta', state: ring({ partitions: [partition(1, 'active', t(1, 65_536), 'w')] }) },
      { kind: 'delta', state: ring({ partitions: [partition(1, 'active', t(1), '')] }) },
      { kind: 'delta', state: ring({ owners: [owner('x'.repeat(256), 1, 'active', 'z', t(1))] }) },
      { kind: 'delta', state: ring({ members: [member('n', 'active', 'z', t(1), t(1), new Array<string>(17).fill('/a'))] }) },
      { kind: 'delta', state: ring({ members: [member('n\uDC00', 'active', 'z', t(1))] }) },
    ]
    for (const m of bad) assert.throws(() => encode(m), isCodecError)
    assert.throws(() => encode(v1Samples.full as RingMessage, { ...defaultLimits, maxBytes: 100 }), isCodecError)
  })

  it('random bytes either fail with RingCodecError or are canonical (property)', () => {
    const header = fc.constantFrom(Buffer.from([1, 0]), Buffer.from([1, 1]), Buffer.alloc(0))
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 200 }), (h, body) => {
      const bytes = Buffer.concat([h, body])
      let msg: RingMessage
      try {
        msg = decodeMessage(bytes)
      } catch (e) {
        assert.ok(e instanceof RingCodecError, String(e))
        return
      }
      assert.deepEqual(encode(msg), bytes)
    }), { numRuns: 2000 })
  })

  it('mutating single bytes of a valid message never escapes as another error type (property)', () => {
    fc.assert(fc.property(fc.nat({ max: full.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, v) => {
      const bytes = Buffer.from(full)
      bytes[i] = v
      try {
        assert.deepEqual(encode(decodeMessage(bytes)), bytes)
      } catch (e) {
        assert.ok(e instanceof RingCodecError, String(e))
      }
    }), { numRuns: 2000 })
  })
})

function patch (b: Buffer, offset: number, bytes: number[]): Buffer {
  const out = Buffer.from(b)
  bytes.forEach((v, i) => { out[offset + i] = v })
  return out
}

/** A delta with one partition whose state-writer field is produced by `writer`. */
function encodeRaw (writer: (w: number[]) => void): Buffer {
  const w: number[] = [1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1]
  writer(w)
  return Buffer.from(w)
}

function twoPartitions (a: number, b: number): Buffer {
  // Strip the 6-byte header and the two trailing empty counts (owners, members) of a one-partition delta.
  const one = (id: number): Buffer => { const b = encode({ kind: 'delta', state: ring({ partitions: [partition(id, 'active', t(1), 'w')] }) }); return b.subarray(6, b.length - 8) }
  return Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 2]), one(a), one(b), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])])
}
