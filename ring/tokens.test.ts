import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fmix32, partitionTokens, tokensPerPartition } from './tokens.ts'

describe('partition tokens', () => {
  it('are pinned: the derivation must never change silently (it would move every trace)', () => {
    assert.equal(fmix32(1), 0x514e28b7)
    assert.deepEqual(partitionTokens(0).slice(0, 4), PINNED_0)
    assert.deepEqual(partitionTokens(7).slice(0, 4), PINNED_7)
  })

  it('are 512 per partition, strictly ascending, one in each 1/512 slice of the ring', () => {
    const width = 2 ** 32 / tokensPerPartition
    for (const id of [0, 1, 2, 1000, 2 ** 31 - 1]) {
      const tokens = partitionTokens(id)
      assert.equal(tokens.length, 512)
      tokens.forEach((tok, j) => {
        assert.ok(Number.isInteger(tok) && tok >= j * width && tok < (j + 1) * width)
      })
    }
  })

  it('are the same on every call', () => {
    assert.deepEqual(partitionTokens(42), partitionTokens(42))
    assert.notDeepEqual(partitionTokens(42), partitionTokens(43))
  })

  it('split the ring about evenly between partitions', () => {
    for (const P of [3, 10, 30]) {
      const all: [number, number][] = []
      for (let p = 0; p < P; p++) for (const tok of partitionTokens(p)) all.push([tok, p])
      all.sort((a, b) => a[0] - b[0])
      const owned = new Array<number>(P).fill(0)
      for (let i = 0; i < all.length; i++) {
        const [tok, p] = all[i] as [number, number]
        const next = i + 1 < all.length ? (all[i + 1] as [number, number])[0] : (all[0] as [number, number])[0] + 2 ** 32
        owned[p] = (owned[p] as number) + (next - tok)
      }
      for (const o of owned) {
        const share = o / 2 ** 32 * P
        assert.ok(share > 0.85 && share < 1.15, `P=${P}: share ${share.toFixed(3)} of the fair one`)
      }
    }
  })
})

const PINNED_0 = [0, 13250318, 22471667, 26508748]
const PINNED_7 = [5184702, 15395858, 23770562, 25761281]
