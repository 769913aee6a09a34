import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ManualClock } from '../test/fakes/clock.ts'
import { ClockSkewError } from './errors.ts'
import { HybridClock, checkSkew, compareHlc, hlc, hlcFromBigInt, hlcToBigInt, maxLogical, maxWall } from './hlc.ts'
import type { Hlc } from './hlc.ts'

const arbHlc = fc.tuple(fc.integer({ min: 0, max: maxWall }), fc.integer({ min: 0, max: maxLogical })).map(([w, l]) => hlc(w, l))

/** A clock whose time the test sets directly, backwards too. */
function settableClock (read: () => number): ManualClock {
  return Object.assign(new ManualClock(), { now: read })
}

describe('HybridClock', () => {
  it('follows the physical clock when it moves forward', () => {
    const clock = new ManualClock(1000)
    const h = new HybridClock(clock)
    assert.deepEqual(h.now(), hlc(1000, 0))
    clock.advance(5)
    assert.deepEqual(h.now(), hlc(1005, 0))
  })

  it('counts events within one millisecond with the logical part', () => {
    const h = new HybridClock(new ManualClock(1000))
    assert.deepEqual([h.now(), h.now(), h.now()], [hlc(1000, 0), hlc(1000, 1), hlc(1000, 2)])
  })

  it('never goes backwards when the physical clock steps back', () => {
    let wall = 2000
    const h = new HybridClock(settableClock(() => wall))
    const a = h.now()
    wall = 1500
    const b = h.now()
    assert.ok(compareHlc(b, a) > 0)
    assert.deepEqual(b, hlc(2000, 1))
  })

  it('moves to the next millisecond when the logical counter would overflow', () => {
    const h = new HybridClock(new ManualClock(1000), { after: hlc(1000, maxLogical - 1) })
    assert.deepEqual(h.now(), hlc(1000, maxLogical))
    assert.deepEqual(h.now(), hlc(1001, 0))
  })

  it('after update(remote), every timestamp is later than remote', () => {
    const h = new HybridClock(new ManualClock(1000))
    h.now()
    const remote = hlc(1010, 7)
    const u = h.update(remote)
    assert.deepEqual(u, hlc(1010, 8))
    assert.ok(compareHlc(h.now(), remote) > 0)
  })

  it('rejects a remote timestamp more than maxSkewMs ahead and does not adopt it', () => {
    const clock = new ManualClock(1_000_000)
    const h = new HybridClock(clock, { maxSkewMs: 30_000 })
    const before = h.now()
    assert.throws(() => h.update(hlc(1_030_001)), (e: unknown) => e instanceof ClockSkewError && e.maxSkewMs === 30_000 && e.remote.wall === 1_030_001)
    assert.deepEqual(h.last, before)
    assert.deepEqual(h.now(), hlc(1_000_000, 1))
    assert.deepEqual(h.update(hlc(1_030_000)), hlc(1_030_000, 1), 'exactly maxSkewMs ahead is accepted')
  })

  it('checkSkew reports without a clock', () => {
    assert.equal(checkSkew(hlc(100), 100, 0), undefined)
    assert.ok(checkSkew(hlc(101), 100, 0) instanceof ClockSkewError)
  })

  it('is strictly monotonic across any mix of now, update and physical clock moves (property)', () => {
    type Op = { kind: 'now' } | { kind: 'advance', ms: number } | { kind: 'back', ms: number } | { kind: 'update', dWall: number, logical: number }
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ kind: 'now' as const }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('back' as const), ms: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('update' as const), dWall: fc.integer({ min: -100, max: 100 }), logical: fc.integer({ min: 0, max: maxLogical }) }),
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      let wall = 10_000
      const h = new HybridClock(settableClock(() => wall), { maxSkewMs: 40 })
      let prev: Hlc = hlc(0)
      let maxSeen: Hlc = hlc(0)
      let maxPhysical = 0
      for (const o of ops) {
        if (o.kind === 'advance') { wall += o.ms; continue }
        if (o.kind === 'back') { wall -= o.ms; continue }
        maxPhysical = Math.max(maxPhysical, wall)
        let next: Hlc
        if (o.kind === 'now') {
          next = h.now()
        } else {
          const remote = hlc(wall + o.dWall, o.logical)
          try {
            next = h.update(remote)
          } catch (e) {
            assert.ok(e instanceof ClockSkewError)
            assert.ok(o.dWall > 40)
            continue
          }
          assert.ok(compareHlc(next, remote) > 0)
          if (compareHlc(remote, maxSeen) > 0) maxSeen = remote
        }
        assert.ok(compareHlc(next, prev) > 0, 'strictly increasing')
        assert.ok(compareHlc(next, maxSeen) > 0, 'after every accepted remote')
        assert.ok(next.wall <= Math.max(maxPhysical, maxSeen.wall) + 1, 'stays near physical time')
        prev = next
      }
    }), { numRuns: 500 })
  })
})

describe('HybridClock after the physical clock was set back', () => {
  it('says it runs ahead only beyond max skew, and rewinds to the physical time or a later floor', () => {
    let physical = 1_000_000 + 365 * 86_400_000
    const h = new HybridClock(settableClock(() => physical), { maxSkewMs: 30_000 })
    h.now()
    physical = 1_000_000 + 29_000
    assert.equal(h.aheadOfPhysical(), true)
    assert.deepEqual(h.rewind(), hlc(1_029_000))
    assert.equal(h.aheadOfPhysical(), false)
    assert.deepEqual(h.now(), hlc(1_029_000, 1), 'monotonic again from the rewound time')
    assert.deepEqual(h.rewind(hlc(1_040_000, 3)), hlc(1_040_000, 3), 'never below the newest stamp kept')
    physical = 1_040_000 - 30_000
    assert.equal(h.aheadOfPhysical(), false, 'exactly max skew ahead is not ahead')
  })
})

describe('HLC encoding', () => {
  it('round-trips through the 64-bit packing and preserves order (property)', () => {
    fc.assert(fc.property(arbHlc, arbHlc, (a, b) => {
      assert.deepEqual(hlcFromBigInt(hlcToBigInt(a)), a)
      const c = hlcToBigInt(a) - hlcToBigInt(b)
      assert.equal(Math.sign(Number(c)), Math.sign(compareHlc(a, b)))
    }), { numRuns: 500 })
  })

  it('packs wall into the high 48 bits', () => {
    assert.equal(hlcToBigInt(hlc(1, 2)), 0x10002n)
  })
})
