/**
 * Convergence with real writers: several nodes, each with its own skewed clock and hybrid logical
 * clock, make random local edits through edits.ts (refused edits are skipped, as a lifecycler
 * would) and occasionally hear each other's deltas. Afterwards every delta is delivered to fresh
 * replicas in random orders with duplicates, and to the writers themselves: all must hold one
 * state.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ManualClock } from '../test/fakes/clock.ts'
import * as edits from './edits.ts'
import { RingEditError } from './errors.ts'
import { HybridClock } from './hlc.ts'
import { emptyRing, isEmptyRing, maxTimestamp, merge } from './model.ts'
import type { MergeResult, RingState } from './model.ts'
import type { Stamp } from './register.ts'
import { partitionStates } from './states.ts'

const writers = ['node-a', 'node-b', 'node-c'] as const

type Op =
  | { kind: 'edit', writer: number, edit: number, partition: number, arg: number }
  | { kind: 'hear', writer: number, pick: number }
  | { kind: 'tick', writer: number, ms: number }

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 8 }), fc.nat({ max: 2 }), fc.nat({ max: 5 })).map(([writer, edit, partition, arg]) => ({ kind: 'edit' as const, writer, edit, partition, arg })) },
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 2 }), fc.nat()).map(([writer, pick]) => ({ kind: 'hear' as const, writer, pick })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 3 })).map(([writer, ms]) => ({ kind: 'tick' as const, writer, ms })) },
)

function runEdit (s: RingState, at: Stamp, op: Extract<Op, { kind: 'edit' }>): MergeResult {
  const self = writers[op.writer] as string
  const other = writers[op.arg % writers.length] as string
  switch (op.edit) {
    case 0: return edits.createPartition(s, at, op.partition)
    case 1: return edits.setPartitionState(s, at, op.partition, partitionStates[op.arg % 3] ?? 'active')
    case 2: return edits.setPartitionLock(s, at, op.partition, op.arg % 4 === 0)
    case 3: return edits.deletePartition(s, at, op.partition)
    case 4: return edits.addOwner(s, at, { ownerId: self, partition: op.partition, zone: op.arg % 2 === 0 ? 'a' : 'b' })
    case 5: return edits.removeOwner(s, at, op.arg % 2 === 0 ? self : other, op.partition)
    case 6: return edits.upsertMember(s, at, { nodeId: self, zone: 'a', addresses: op.arg % 2 === 0 ? ['/ip4/127.0.0.1/tcp/1'] : [] })
    case 7: return edits.heartbeat(s, at, self)
    default: return edits.removeMember(s, at, self)
  }
}

describe('convergence of real writers', () => {
  it('random edits by skewed writers, delivered in any order with duplicates, converge everywhere', () => {
    const scenario = fc.tuple(
      fc.array(arbOp, { minLength: 1, maxLength: 80 }),
      fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.array(fc.nat(), { minLength: 400, maxLength: 400 }), { minLength: 2, maxLength: 2 }),
    )
    fc.assert(fc.property(scenario, ([ops, skews, orders]) => {
      const clocks = skews.map((skew) => new ManualClock(1000 + skew))
      const hlcs = clocks.map((c) => new HybridClock(c, { maxSkewMs: 100 }))
      const states: RingState[] = writers.map(() => emptyRing())
      const log: RingState[] = []
      const hear = (w: number, delta: RingState): void => {
        const max = maxTimestamp(delta)
        if (max !== undefined) (hlcs[w] as HybridClock).update(max)
        states[w] = merge(states[w] as RingState, delta).state
      }
      for (const op of ops) {
        if (op.kind === 'tick') { (clocks[op.writer] as ManualClock).advance(op.ms); continue }
        if (op.kind === 'hear') { if (log.length > 0) hear(op.writer, log[op.pick % log.length] as RingState); continue }
        const at = { ts: (hlcs[op.writer] as HybridClock).now(), writer: writers[op.writer] as string }
        try {
          const r = runEdit(states[op.writer] as RingState, at, op)
          states[op.writer] = r.state
          if (!isEmptyRing(r.delta)) log.push(r.delta)
        } catch (e) {
          if (!(e instanceof RingEditError)) throw e
          assert.notEqual(e.reason, 'stale_timestamp', 'a writer whose HLC saw everything never writes a stale edit')
        }
      }
      const expected = log.reduce((s, d) => merge(s, d).state, emptyRing())
      for (const keys of orders) {
        const schedule = [...log.keys(), ...log.keys()].map((i, j) => ({ i, key: keys[j % keys.length] as number })).sort((p, q) => p.key - q.key)
        const replica = schedule.reduce((s, { i }) => merge(s, log[i] as RingState).state, emptyRing())
        assert.deepEqual(replica, expected)
      }
      for (let w = 0; w < writers.length; w++) {
        for (const d of log) hear(w, d)
        assert.deepEqual(states[w], expected)
      }
    }), { numRuns: 500 })
  })
})
