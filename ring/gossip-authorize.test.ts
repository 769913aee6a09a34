import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { unauthorizedPartitionWrite } from './gossip-authorize.ts'
import type { RingState } from './model.ts'
import { owner, partition, reg, ring, t } from './testing.ts'

const unlocked = reg(false, t(1000), 'a')
const owned = (extra: Partial<Parameters<typeof ring>[0]> = {}): RingState => ring({ partitions: [partition(0, 'active', t(2000), 'a', unlocked)], owners: [owner('a', 0, 'active', 'a', t(1000))], ...extra })

describe('partition write authorisation', () => {
  const cases: { name: string, local: RingState, delta: RingState, writer: string, allowed: boolean }[] = [
    { name: 'an owner promotes', local: ring({ partitions: [partition(0, 'pending', t(1000), 'a', unlocked)], owners: [owner('a', 0, 'active', 'a', t(1000))] }), delta: ring({ partitions: [partition(0, 'active', t(5000), 'a', unlocked)] }), writer: 'a', allowed: true },
    { name: 'a creation travels with the creator\'s registration', local: ring(), delta: ring({ partitions: [partition(7, 'pending', t(5000), 'c', reg(false, t(5000), 'c'))], owners: [owner('c', 7, 'active', 'c', t(5000))] }), writer: 'c', allowed: true },
    { name: 'a partition nobody owns cannot be created', local: ring(), delta: ring({ partitions: [partition(7, 'pending', t(5000), 'c', reg(false, t(5000), 'c'))] }), writer: 'c', allowed: false },
    { name: 'a non-owner cannot make an active partition inactive', local: owned(), delta: ring({ partitions: [partition(0, 'inactive', t(5000), 'r', unlocked)] }), writer: 'r', allowed: false },
    { name: 'a non-owner cannot delete an active partition', local: owned(), delta: ring({ partitions: [partition(0, 'deleted', t(5000), 'r', unlocked)] }), writer: 'r', allowed: false },
    { name: 'an owner cannot delete its partition either', local: owned(), delta: ring({ partitions: [partition(0, 'deleted', t(5000), 'a', unlocked)] }), writer: 'a', allowed: false },
    { name: 'a non-owner cannot lock a partition', local: owned(), delta: ring({ partitions: [partition(0, 'active', t(2000), 'a', reg(true, t(5000), 'r'))] }), writer: 'r', allowed: false },
    { name: 'anyone deletes an inactive, unlocked partition, owned or not', local: ring({ partitions: [partition(0, 'inactive', t(40_000), 'a', unlocked)], owners: [owner('a', 0, 'active', 'a', t(1000))] }), delta: ring({ partitions: [partition(0, 'deleted', t(95_000), 'r', unlocked)] }), writer: 'r', allowed: true },
    { name: '… but not a locked one', local: ring({ partitions: [partition(0, 'inactive', t(40_000), 'a', reg(true, t(40_000), 'a'))] }), delta: ring({ partitions: [partition(0, 'deleted', t(95_000), 'r', reg(true, t(40_000), 'a'))] }), writer: 'r', allowed: false },
    { name: '… nor one unknown here', local: ring(), delta: ring({ partitions: [partition(0, 'deleted', t(95_000), 'r', unlocked)] }), writer: 'r', allowed: false },
    { name: '… nor an active one by copying its stamp (the tombstone would win the tie)', local: owned(), delta: ring({ partitions: [partition(0, 'deleted', t(2000), 'a', unlocked)] }), writer: 'a', allowed: false },
    { name: 'a partition entry that changes nothing is not judged', local: owned(), delta: ring({ partitions: [partition(0, 'active', t(2000), 'a', unlocked)] }), writer: 'a', allowed: true },
    { name: 'an older write that loses locally is not judged (merging it is a no-op)', local: owned(), delta: ring({ partitions: [partition(0, 'deleted', t(1500), 'r', unlocked)] }), writer: 'r', allowed: true },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const why = unauthorizedPartitionWrite(c.local, c.delta, c.writer)
      assert.equal(why === undefined, c.allowed, why)
    })
  }

  it('says what was refused and why', () => {
    assert.equal(unauthorizedPartitionWrite(owned(), ring({ partitions: [partition(0, 'inactive', t(5000), 'r', unlocked)] }), 'r'), 'r may not set partition 0 inactive: it does not own it')
    assert.equal(unauthorizedPartitionWrite(owned(), ring({ partitions: [partition(0, 'deleted', t(5000), 'r', unlocked)] }), 'r'),
      'r may not delete partition 0: it is active, not inactive and unlocked')
  })
})
