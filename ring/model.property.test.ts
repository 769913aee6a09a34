/**
 * The CRDT laws of model.ts, checked on generated states (code-style habit 4). Every property
 * runs at least 500 cases; the seed of a failure is printed by fast-check and replays with
 * `fc.assert(..., { seed, path })`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { arbRing, arbUpdate } from './arbitraries.ts'
import { isEmptyRing, merge } from './model.ts'
import type { RingState } from './model.ts'

const runs = { numRuns: 1000 }
const m = (a: RingState, b: RingState): RingState => merge(a, b).state

describe('merge laws', () => {
  it('is idempotent: merging a state into itself changes nothing and yields an empty delta', () => {
    fc.assert(fc.property(arbRing, (a) => {
      const r = merge(a, a)
      assert.equal(r.state, a)
      assert.ok(isEmptyRing(r.delta))
    }), runs)
  })

  it('is idempotent for repeats: merging the same incoming state twice changes nothing the second time', () => {
    fc.assert(fc.property(arbRing, arbRing, (a, b) => {
      const once = m(a, b)
      const twice = merge(once, b)
      assert.equal(twice.state, once)
      assert.ok(isEmptyRing(twice.delta))
    }), runs)
  })

  it('is commutative', () => {
    fc.assert(fc.property(arbRing, arbRing, (a, b) => {
      assert.deepEqual(m(a, b), m(b, a))
    }), runs)
  })

  it('is associative', () => {
    fc.assert(fc.property(arbRing, arbRing, arbRing, (a, b, c) => {
      assert.deepEqual(m(m(a, b), c), m(a, m(b, c)))
    }), runs)
  })

  it('returns the local state itself whenever the delta is empty', () => {
    fc.assert(fc.property(arbRing, arbRing, (a, b) => {
      const r = merge(a, b)
      if (isEmptyRing(r.delta)) assert.equal(r.state, a)
      else assert.notEqual(r.state, a)
    }), runs)
  })
})

describe('merge deltas', () => {
  it('holds exactly the changed entries: each with its new value, and nothing that stayed the same', () => {
    fc.assert(fc.property(arbRing, arbRing, (a, b) => {
      const { state, delta } = merge(a, b)
      for (const k of ['partitions', 'owners', 'members'] as const) {
        const before = a[k] as ReadonlyMap<unknown, unknown>
        const after = state[k] as ReadonlyMap<unknown, unknown>
        const d = delta[k] as ReadonlyMap<unknown, unknown>
        for (const [key, v] of after) {
          if (d.has(key)) {
            assert.equal(d.get(key), v, 'the delta carries the full new value')
            assert.notDeepEqual(before.get(key), v, 'a delta entry really changed')
          } else {
            assert.equal(before.get(key), v, 'an entry outside the delta is untouched')
          }
        }
        for (const key of d.keys()) assert.ok(after.has(key))
      }
    }), runs)
  })

  it('merge(a, merge(a, b).delta) equals merge(a, b)', () => {
    fc.assert(fc.property(arbRing, arbRing, (a, b) => {
      const r = merge(a, b)
      assert.deepEqual(m(a, r.delta), r.state)
    }), runs)
  })

  it('a delta merged into any state that has seen its base equals merging the full result', () => {
    fc.assert(fc.property(arbRing, arbRing, arbRing, (a, b, x) => {
      const r = merge(a, b)
      const c = m(a, x) // has seen the delta's base a
      assert.deepEqual(m(c, r.delta), m(c, r.state))
    }), runs)
  })
})

describe('convergence', () => {
  it('replicas that receive the same updates in any order, with duplicates, end in one state', () => {
    const scenario = fc.array(arbUpdate, { minLength: 1, maxLength: 25 }).chain((updates) => fc.tuple(
      fc.constant(updates),
      // Three delivery schedules: every update at least once, some twice, in random order.
      fc.array(fc.tuple(
        fc.array(fc.nat({ max: updates.length - 1 }), { maxLength: 10 }),
        fc.array(fc.nat(), { minLength: updates.length * 2 + 10, maxLength: updates.length * 2 + 10 }),
      ), { minLength: 3, maxLength: 3 }),
    ))
    fc.assert(fc.property(scenario, ([updates, schedules]) => {
      const all = updates.reduce(m, { partitions: new Map(), owners: new Map(), members: new Map() } as RingState)
      for (const [dups, keys] of schedules) {
        const order = [...updates.keys(), ...dups]
          .map((u, i) => ({ u, key: keys[i] as number }))
          .sort((p, q) => p.key - q.key)
          .map((p) => updates[p.u] as RingState)
        const replica = order.reduce(m, { partitions: new Map(), owners: new Map(), members: new Map() } as RingState)
        assert.deepEqual(replica, all)
      }
    }), runs)
  })
})
