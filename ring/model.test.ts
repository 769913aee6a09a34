/**
 * Named example tables (dskit style) for the merge cases that are easy to get wrong. Each row:
 * a sentence, the local state, the incoming state, the expected state and the expected delta.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../test/fakes/clock.ts'
import { ClockSkewError } from './errors.ts'
import { HybridClock } from './hlc.ts'
import { defaultTombstoneHorizonMs, departureCandidates, dropDepartedOwners, dropStampedAfter, gcTombstones, maxTimestamp, merge } from './model.ts'
import type { RingState } from './model.ts'
import { member, owner, partition, reg, ring, t } from './testing.ts'

interface MergeCase {
  name: string
  local: RingState
  incoming: RingState
  expectedState: RingState
  expectedDelta: RingState
}

const empty = ring()
/** The lock register as written when the partition was created. */
const lock0 = reg(false, t(1), 'w0')

const mergeCases: MergeCase[] = [
  {
    name: 'an incoming delete stamped with the same tick as the local update wins',
    local: ring({ partitions: [partition(1, 'active', t(5), 'w2')] }),
    incoming: ring({ partitions: [partition(1, 'deleted', t(5), 'w1')] }),
    expectedState: ring({ partitions: [{ id: 1, state: reg('deleted', t(5), 'w1'), locked: reg(false, t(5), 'w2') }] }),
    expectedDelta: ring({ partitions: [{ id: 1, state: reg('deleted', t(5), 'w1'), locked: reg(false, t(5), 'w2') }] }),
  },
  {
    name: 'an incoming update stamped with the same tick as the local delete loses',
    local: ring({ partitions: [partition(1, 'deleted', t(5), 'w1', lock0)] }),
    incoming: ring({ partitions: [partition(1, 'active', t(5), 'w2', lock0)] }),
    expectedState: ring({ partitions: [partition(1, 'deleted', t(5), 'w1', lock0)] }),
    expectedDelta: empty,
  },
  {
    name: 'two different live states with the same tick resolve by writer id, the same on every replica',
    local: ring({ partitions: [partition(1, 'active', t(5), 'w1')] }),
    incoming: ring({ partitions: [partition(1, 'inactive', t(5), 'w2')] }),
    expectedState: ring({ partitions: [partition(1, 'inactive', t(5), 'w2')] }),
    expectedDelta: ring({ partitions: [partition(1, 'inactive', t(5), 'w2')] }),
  },
  {
    name: 'the same pair in the other direction keeps the higher writer id',
    local: ring({ partitions: [partition(1, 'inactive', t(5), 'w2')] }),
    incoming: ring({ partitions: [partition(1, 'active', t(5), 'w1')] }),
    expectedState: ring({ partitions: [partition(1, 'inactive', t(5), 'w2')] }),
    expectedDelta: empty,
  },
  {
    name: 'a stale writer\'s older update does not override a newer state',
    local: ring({ partitions: [partition(1, 'inactive', t(10), 'node-a')] }),
    incoming: ring({ partitions: [partition(1, 'active', t(8), 'node-b')] }),
    expectedState: ring({ partitions: [partition(1, 'inactive', t(10), 'node-a')] }),
    expectedDelta: empty,
  },
  {
    name: 'merge does not re-check transitions: a later write wins even if its writer saw an older state',
    local: ring({ partitions: [partition(1, 'inactive', t(10), 'node-a')] }),
    incoming: ring({ partitions: [partition(1, 'active', t(11), 'node-b')] }),
    expectedState: ring({ partitions: [partition(1, 'active', t(11), 'node-b')] }),
    expectedDelta: ring({ partitions: [partition(1, 'active', t(11), 'node-b')] }),
  },
  {
    name: 'the logical counter orders writes within one millisecond',
    local: ring({ partitions: [partition(1, 'pending', t(10, 1), 'w9')] }),
    incoming: ring({ partitions: [partition(1, 'active', t(10, 2), 'w1')] }),
    expectedState: ring({ partitions: [partition(1, 'active', t(10, 2), 'w1')] }),
    expectedDelta: ring({ partitions: [partition(1, 'active', t(10, 2), 'w1')] }),
  },
  {
    name: 'the state and lock registers merge independently into a new entry',
    local: ring({ partitions: [partition(1, 'active', t(10), 'w1', reg(false, t(1), 'w1'))] }),
    incoming: ring({ partitions: [partition(1, 'pending', t(5), 'w2', reg(true, t(12), 'w2'))] }),
    expectedState: ring({ partitions: [partition(1, 'active', t(10), 'w1', reg(true, t(12), 'w2'))] }),
    expectedDelta: ring({ partitions: [partition(1, 'active', t(10), 'w1', reg(true, t(12), 'w2'))] }),
  },
  {
    name: 'a tombstone for a partition the local state never saw is adopted',
    local: empty,
    incoming: ring({ partitions: [partition(3, 'deleted', t(7), 'w1')] }),
    expectedState: ring({ partitions: [partition(3, 'deleted', t(7), 'w1')] }),
    expectedDelta: ring({ partitions: [partition(3, 'deleted', t(7), 'w1')] }),
  },
  {
    name: 'a deleted owner is not resurrected by a stale gossip message',
    local: ring({ owners: [owner('a-0', 0, 'deleted', 'a', t(20))] }),
    incoming: ring({ owners: [owner('a-0', 0, 'active', 'a', t(10))] }),
    expectedState: ring({ owners: [owner('a-0', 0, 'deleted', 'a', t(20))] }),
    expectedDelta: empty,
  },
  {
    name: 'an owner delete and re-registration in the same tick end as deleted, even from a lower writer id',
    local: ring({ owners: [owner('a-0', 0, 'active', 'a', t(20), 'z-operator')] }),
    incoming: ring({ owners: [owner('a-0', 0, 'deleted', 'a', t(20))] }),
    expectedState: ring({ owners: [owner('a-0', 0, 'deleted', 'a', t(20))] }),
    expectedDelta: ring({ owners: [owner('a-0', 0, 'deleted', 'a', t(20))] }),
  },
  {
    name: 'owners of the same node for different partitions are separate entries',
    local: ring({ owners: [owner('a-0', 0, 'active', 'a', t(20))] }),
    incoming: ring({ owners: [owner('a-0', 1, 'active', 'a', t(5))] }),
    expectedState: ring({ owners: [owner('a-0', 0, 'active', 'a', t(20)), owner('a-0', 1, 'active', 'a', t(5))] }),
    expectedDelta: ring({ owners: [owner('a-0', 1, 'active', 'a', t(5))] }),
  },
  {
    name: 'a newer heartbeat updates only the heartbeat of a member',
    local: ring({ members: [member('a-0', 'active', 'a', t(10), t(10))] }),
    incoming: ring({ members: [member('a-0', 'active', 'a', t(10), t(15))] }),
    expectedState: ring({ members: [member('a-0', 'active', 'a', t(10), t(15))] }),
    expectedDelta: ring({ members: [member('a-0', 'active', 'a', t(10), t(15))] }),
  },
  {
    name: 'a member that left is not brought back by an older registration, but its newer heartbeat is kept',
    local: ring({ members: [member('a-0', 'left', 'a', t(30), t(10))] }),
    incoming: ring({ members: [member('a-0', 'active', 'a', t(10), t(20))] }),
    expectedState: ring({ members: [member('a-0', 'left', 'a', t(30), t(20))] }),
    expectedDelta: ring({ members: [member('a-0', 'left', 'a', t(30), t(20))] }),
  },
  {
    name: 'an entry missing from the incoming state is never read as a deletion',
    local: ring({ partitions: [partition(1, 'active', t(5), 'w1')], owners: [owner('a-0', 1, 'active', 'a', t(5))] }),
    incoming: ring({ partitions: [partition(2, 'pending', t(6), 'w2')] }),
    expectedState: ring({ partitions: [partition(1, 'active', t(5), 'w1'), partition(2, 'pending', t(6), 'w2')], owners: [owner('a-0', 1, 'active', 'a', t(5))] }),
    expectedDelta: ring({ partitions: [partition(2, 'pending', t(6), 'w2')] }),
  },
]

describe('merge examples', () => {
  for (const c of mergeCases) {
    it(c.name, () => {
      const r = merge(c.local, c.incoming)
      assert.deepEqual(r.state, c.expectedState)
      assert.deepEqual(r.delta, c.expectedDelta)
    })
  }
})

/** What the gossip layer does with a received message: observe its timestamps, then merge. */
function receive (clock: HybridClock, local: RingState, incoming: RingState): RingState {
  const max = maxTimestamp(incoming)
  if (max !== undefined) clock.update(max)
  return merge(local, incoming).state
}

describe('clock skew on the receive path', () => {
  const now = 1_700_000_000_000
  const local = ring({ partitions: [partition(1, 'active', t(now - 1000), 'node-a')] })
  const cases = [
    { name: 'a message from a clock within the max skew is accepted and wins', ts: now + 29_000, accepted: true },
    { name: 'a message stamped more than the max skew ahead is rejected and never merged', ts: now + 31_000, accepted: false },
    { name: 'a message from a year in the future is rejected', ts: now + 365 * 86_400_000, accepted: false },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const clock = new HybridClock(new ManualClock(now), { maxSkewMs: 30_000 })
      const incoming = ring({ partitions: [partition(1, 'inactive', t(c.ts), 'rogue')] })
      if (c.accepted) {
        assert.deepEqual(receive(clock, local, incoming), incoming)
        assert.ok(clock.now().wall >= c.ts, 'later local edits beat the accepted timestamp')
      } else {
        assert.throws(() => receive(clock, local, incoming), ClockSkewError)
        assert.ok(clock.now().wall < now + 1000, 'the future timestamp was not adopted')
      }
    })
  }
})

describe('tombstone GC', () => {
  const now = 1_700_000_000_000
  const H = defaultTombstoneHorizonMs
  const cases: { name: string, state: RingState, horizon: number, departures?: number, expected: RingState }[] = [
    {
      name: 'drops a partition tombstone older than the horizon',
      state: ring({ partitions: [partition(1, 'deleted', t(now - H - 1), 'w1'), partition(2, 'active', t(now - 10 * H), 'w1')] }),
      horizon: H,
      expected: ring({ partitions: [partition(2, 'active', t(now - 10 * H), 'w1')] }),
    },
    {
      name: 'keeps a tombstone exactly at the horizon and a younger one',
      state: ring({ partitions: [partition(1, 'deleted', t(now - H), 'w1')], owners: [owner('a-0', 1, 'deleted', 'a', t(now - 1))] }),
      horizon: H,
      expected: ring({ partitions: [partition(1, 'deleted', t(now - H), 'w1')], owners: [owner('a-0', 1, 'deleted', 'a', t(now - 1))] }),
    },
    {
      name: 'drops owner tombstones and members that left, never live ones',
      state: ring({
        owners: [owner('a-0', 1, 'deleted', 'a', t(now - H - 1)), owner('b-0', 1, 'active', 'b', t(now - H - 1))],
        members: [member('a-0', 'left', 'a', t(now - H - 1)), member('b-0', 'active', 'b', t(now - H - 1))],
      }),
      horizon: H,
      expected: ring({ owners: [owner('b-0', 1, 'active', 'b', t(now - H - 1))], members: [member('b-0', 'active', 'b', t(now - H - 1))] }),
    },
    {
      name: 'keeps a member that left while its heartbeat is within the horizon',
      state: ring({ members: [member('a-0', 'left', 'a', t(now - H - 1), t(now - 5))] }),
      horizon: H,
      expected: ring({ members: [member('a-0', 'left', 'a', t(now - H - 1), t(now - 5))] }),
    },
    {
      name: 'keeps members that left and deleted partitions for the departure horizon, owner tombstones only for their own',
      state: ring({
        partitions: [partition(1, 'deleted', t(now - H - 1), 'w1')],
        owners: [owner('b-0', 2, 'deleted', 'b', t(now - H - 1))],
        members: [member('a-0', 'left', 'a', t(now - H - 1)), member('b-0', 'active', 'b', t(now - H - 1))],
      }),
      horizon: H,
      departures: 10 * H,
      expected: ring({
        partitions: [partition(1, 'deleted', t(now - H - 1), 'w1')],
        members: [member('a-0', 'left', 'a', t(now - H - 1)), member('b-0', 'active', 'b', t(now - H - 1))],
      }),
    },
    {
      name: 'a shorter configured horizon drops younger tombstones',
      state: ring({ owners: [owner('a-0', 1, 'deleted', 'a', t(now - 2000))] }),
      horizon: 1000,
      expected: ring(),
    },
  ]
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(gcTombstones(c.state, { ownersMs: c.horizon, departuresMs: c.departures ?? c.horizon }, now), c.expected))
  }

  it('returns the same state object when nothing is old enough', () => {
    const s = ring({ partitions: [partition(1, 'deleted', t(now), 'w1')] })
    assert.equal(gcTombstones(s, { ownersMs: H, departuresMs: H }, now), s)
  })

  it('after GC, a stale live entry arriving from a replica cut off for longer than the horizon comes back (the documented limit)', () => {
    const tomb = ring({ owners: [owner('a-0', 1, 'deleted', 'a', t(now - H - 1))] })
    const afterGc = gcTombstones(tomb, { ownersMs: H, departuresMs: H }, now)
    const ghost = ring({ owners: [owner('a-0', 1, 'active', 'a', t(now - 2 * H))] })
    assert.deepEqual(merge(tomb, ghost).state, tomb, 'before GC the tombstone wins')
    assert.deepEqual(merge(afterGc, ghost).state, ghost, 'after GC nothing remembers the delete')
  })

  it('while the node\'s `left` entry lives, its stale owner entries stay buried after the owner tombstones are gone', () => {
    const left = member('a-0', 'left', 'a', t(now - H - 1))
    const afterGc = gcTombstones(ring({ owners: [owner('a-0', 1, 'deleted', 'a', t(now - H - 2))], members: [left] }), { ownersMs: H, departuresMs: 10 * H }, now)
    assert.deepEqual(afterGc, ring({ members: [left] }))
    const stale = ring({ owners: [owner('a-0', 1, 'active', 'a', t(now - 2 * H))], members: [member('a-0', 'active', 'a', t(now - 2 * H))] })
    const r = merge(afterGc, stale)
    assert.deepEqual(dropDepartedOwners(r.state, departureCandidates(r.delta)), afterGc)
  })
})

describe('dropStampedAfter', () => {
  it('drops every entry with a register stamped after the limit, whichever register it is', () => {
    const keep = ring({ partitions: [partition(1, 'active', t(100), 'a')], owners: [owner('a', 1, 'active', 'a', t(100))], members: [member('a', 'active', 'a', t(100), t(200))] })
    assert.equal(dropStampedAfter(keep, 200), keep)
    const future = ring({
      partitions: [partition(1, 'active', t(100), 'a'), partition(2, 'active', t(100), 'a', reg(true, t(900), 'b')), partition(3, 'inactive', t(900), 'b')],
      owners: [owner('a', 1, 'active', 'a', t(100)), owner('b', 1, 'active', 'b', t(900))],
      members: [member('a', 'active', 'a', t(100), t(200)), member('b', 'active', 'b', t(100), t(900))],
    })
    assert.deepEqual(dropStampedAfter(future, 200), keep)
  })
})

describe('dropDepartedOwners', () => {
  const now = 1_700_000_000_000
  const live = owner('a-0', 1, 'active', 'a', t(now - 10))
  it('drops owner entries older than their node\'s `left` entry, live or deleted', () => {
    const s = ring({ owners: [live, owner('a-0', 2, 'deleted', 'a', t(now - 5))], members: [member('a-0', 'left', 'a', t(now))] })
    assert.deepEqual(dropDepartedOwners(s), ring({ members: [member('a-0', 'left', 'a', t(now))] }))
  })
  it('keeps the owner entries of a member that is active again or left before writing them', () => {
    for (const m of [member('a-0', 'active', 'a', t(now)), member('a-0', 'left', 'a', t(now - 20))]) {
      const s = ring({ owners: [live], members: [m] })
      assert.equal(dropDepartedOwners(s), s)
    }
  })
  it('checks only the given nodes when asked to', () => {
    const s = ring({ owners: [live], members: [member('a-0', 'left', 'a', t(now))] })
    assert.equal(dropDepartedOwners(s, new Set(['b-0'])), s)
    assert.equal(dropDepartedOwners(s, new Set()), s)
    assert.deepEqual(departureCandidates(ring({ owners: [owner('c-0', 1, 'active', 'c', t(now))], members: [member('a-0', 'left', 'a', t(now)), member('b-0', 'active', 'b', t(now))] })), new Set(['c-0', 'a-0']))
  })
})
