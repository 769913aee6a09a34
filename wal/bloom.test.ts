import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { seededRandom } from '../common/random.ts'
import { BloomFilter } from './bloom.ts'

function ids (n: number, seed: number): Buffer[] {
  const rnd = seededRandom(seed)
  return Array.from({ length: n }, () => { const b = Buffer.alloc(16); for (let i = 0; i < 16; i++) b[i] = rnd.int(256); return b })
}

describe('trace id bloom filter', () => {
  it('never misses an added id and keeps false positives within its bound', () => {
    for (const p of [0.01, 0.001]) {
      const bloom = BloomFilter.create(5000, p)
      const added = ids(5000, 1)
      for (const id of added) bloom.add(id)
      for (const id of added) assert.ok(bloom.mayContain(id))
      const probes = ids(50_000, 2)
      const fp = probes.filter((id) => bloom.mayContain(id)).length / probes.length
      assert.ok(bloom.expectedFalsePositiveRate() <= p * 1.05, `expected rate ${bloom.expectedFalsePositiveRate()}`)
      assert.ok(fp <= p * 1.5, `false-positive rate ${fp} over ${p}`)
    }
  })

  it('spreads sequential (non-random) ids as well', () => {
    const bloom = BloomFilter.create(2000)
    const id = (i: number): Buffer => { const b = Buffer.alloc(16); b.writeUInt32BE(i, 12); return b }
    for (let i = 0; i < 2000; i++) bloom.add(id(i))
    let fp = 0
    for (let i = 2000; i < 22_000; i++) if (bloom.mayContain(id(i))) fp++
    assert.ok(fp / 20_000 <= 0.015, `false-positive rate ${fp / 20_000}`)
  })

  it('survives encode/decode and rejects damaged files', () => {
    const bloom = BloomFilter.create(10)
    bloom.add(Buffer.alloc(16, 7))
    const back = BloomFilter.decode(bloom.encode())
    assert.ok(back.mayContain(Buffer.alloc(16, 7)))
    assert.equal(back.n, 1)
    assert.throws(() => BloomFilter.decode(bloom.encode().subarray(0, 20)), /size/)
    assert.throws(() => BloomFilter.decode(Buffer.from('garbage garbage garbage')), /not a bloom/)
  })
})
