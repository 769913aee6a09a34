import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { activePartitions, countTombstones, getPartition, healthyOwners, isHealthy, listMembers, listPartitions, ownersOf } from './read.ts'
import { member, owner, partition, reg, ring, t } from './testing.ts'

const now = 1_700_000_000_000
const s = ring({
  partitions: [
    partition(2, 'active', t(now - 50), 'w1'),
    partition(0, 'pending', t(now - 90), 'w1'),
    partition(1, 'active', t(now - 80), 'w1', reg(true, t(now - 70), 'w2')),
    partition(3, 'inactive', t(now - 60), 'w1'),
    partition(4, 'deleted', t(now - 40), 'w1'),
  ],
  owners: [
    owner('b-1', 1, 'active', 'b', t(now - 100)),
    owner('a-1', 1, 'active', 'a', t(now - 100)),
    owner('c-1', 1, 'deleted', 'a', t(now - 10)),
    owner('d-1', 1, 'active', 'a', t(now - 100)),
    owner('a-1', 2, 'active', 'a', t(now - 100)),
  ],
  members: [
    member('a-1', 'active', 'a', t(now - 100), t(now - 1000)),
    member('b-1', 'active', 'b', t(now - 100), t(now - 3001)),
    member('c-1', 'left', 'a', t(now - 10), t(now)),
  ],
})

describe('ring reads', () => {
  it('lists live partitions by id and hides tombstones', () => {
    assert.deepEqual(listPartitions(s).map((p) => [p.id, p.state]), [[0, 'pending'], [1, 'active'], [2, 'active'], [3, 'inactive']])
    assert.equal(getPartition(s, 4), undefined)
    assert.deepEqual(getPartition(s, 1), { id: 1, state: 'active', stateTs: t(now - 80), stateWriter: 'w1', locked: true })
  })

  it('activePartitions never includes pending or inactive partitions', () => {
    assert.deepEqual(activePartitions(s).map((p) => p.id), [1, 2])
  })

  it('ownersOf lists live owners sorted by id, whatever their health', () => {
    assert.deepEqual(ownersOf(s, 1).map((o) => [o.ownerId, o.zone]), [['a-1', 'a'], ['b-1', 'b'], ['d-1', 'a']])
    assert.deepEqual(ownersOf(s, 2).map((o) => o.ownerId), ['a-1'])
    assert.deepEqual(ownersOf(s, 9), [])
  })

  it('healthyOwners keeps owners with a fresh heartbeat and skips owners with no member entry', () => {
    assert.deepEqual(healthyOwners(s, 1, now, 3000).map((o) => o.ownerId), ['a-1'])
    assert.deepEqual(healthyOwners(s, 1, now, 3001).map((o) => o.ownerId), ['a-1', 'b-1'], 'a heartbeat exactly the timeout old is still healthy')
  })

  it('a member that left is never healthy, even with a fresh heartbeat', () => {
    assert.equal(isHealthy(s, 'c-1', now, 60_000), false)
    assert.deepEqual(listMembers(s).map((m) => m.nodeId), ['a-1', 'b-1'])
  })

  it('counts tombstones', () => {
    assert.deepEqual(countTombstones(s), { partitions: 1, owners: 1, members: 1 })
  })
})
