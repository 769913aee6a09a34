import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compareLww, compareStamps, mergeLww } from './register.ts'
import type { Lww, LwwOrder } from './register.ts'
import { reg, t } from './testing.ts'

type V = 'live' | 'live2' | 'tomb'
const order: LwwOrder<V> = { rank: (v) => v === 'tomb' ? 1 : 0, compare: (a, b) => a < b ? -1 : a > b ? 1 : 0 }

describe('LWW register order: (timestamp, rank, writer id, value)', () => {
  const cases: { name: string, a: Lww<V>, b: Lww<V>, winner: 'a' | 'b' | 'equal' }[] = [
    { name: 'a later wall time wins over everything else', a: reg('live', t(2), 'w1'), b: reg('tomb', t(1), 'w9'), winner: 'a' },
    { name: 'the logical counter orders equal wall times', a: reg('live', t(1, 1), 'w1'), b: reg('tomb', t(1, 0), 'w9'), winner: 'a' },
    { name: 'at equal timestamps a tombstone beats a live value, whatever the writer', a: reg('live', t(1), 'w9'), b: reg('tomb', t(1), 'w1'), winner: 'b' },
    { name: 'at equal timestamp and rank the higher writer id wins', a: reg('live', t(1), 'w1'), b: reg('live2', t(1), 'w2'), winner: 'b' },
    { name: 'one writer reusing a timestamp (forged input) still has one winner: the greater value', a: reg('live2', t(1), 'w1'), b: reg('live', t(1), 'w1'), winner: 'a' },
    { name: 'identical registers are equal', a: reg('live', t(1), 'w1'), b: reg('live', t(1), 'w1'), winner: 'equal' },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const sign = Math.sign(compareLww(order, c.a, c.b))
      assert.equal(sign, c.winner === 'a' ? 1 : c.winner === 'b' ? -1 : 0)
      assert.equal(-Math.sign(compareLww(order, c.b, c.a)) || 0, sign, 'antisymmetric')
      const winner = c.winner === 'b' ? c.b : c.a
      assert.equal(mergeLww(order, c.a, c.b), winner)
      if (c.winner !== 'equal') assert.equal(mergeLww(order, c.b, c.a), winner)
    })
  }

  it('merging into a missing register adopts the incoming one; an equal one keeps the local object', () => {
    const a = reg<V>('live', t(1), 'w1')
    assert.equal(mergeLww(order, undefined, a), a)
    const same = reg<V>('live', t(1), 'w1')
    assert.equal(mergeLww(order, a, same), a)
  })

  it('stamps order by timestamp, then writer id', () => {
    assert.ok(compareStamps({ ts: t(2), writer: 'a' }, { ts: t(1), writer: 'z' }) > 0)
    assert.ok(compareStamps({ ts: t(1), writer: 'a' }, { ts: t(1), writer: 'z' }) < 0)
    assert.equal(compareStamps({ ts: t(1), writer: 'a' }, { ts: t(1), writer: 'a' }), 0)
  })
})
