import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { consumerCandidates, consumerOf, healthyMembers } from './ownership.ts'
import { member, owner, partition, ring, t } from './testing.ts'

const ctx = { now: 10_000, heartbeatTimeoutMs: 3000 }
const beat = (id: string, zone: string, at: number) => member(id, 'active', zone, t(0), t(at))

describe('consumer choice', () => {
  const state = ring({
    partitions: [partition(0, 'active', t(1), 'x'), partition(1, 'deleted', t(2), 'x')],
    owners: [
      owner('a-2', 0, 'active', 'a', t(100)),
      owner('a-1', 0, 'active', 'a', t(200)),
      owner('a-3', 0, 'active', 'a', t(100)),
      owner('b-1', 0, 'active', 'b', t(300)),
      owner('a-1', 1, 'active', 'a', t(1)),
    ],
    members: [beat('a-1', 'a', 9000), beat('a-2', 'a', 9000), beat('a-3', 'a', 9000), beat('b-1', 'b', 6000)],
  })

  it('is the oldest registration of the zone, ties by owner id', () => {
    assert.deepEqual(consumerCandidates(state, 0, 'a', ctx).map((o) => o.ownerId), ['a-2', 'a-3', 'a-1'])
    assert.equal(consumerOf(state, 0, 'a', ctx), 'a-2')
  })

  it('skips owners whose heartbeat expired, and partitions that are gone', () => {
    assert.equal(consumerOf(state, 0, 'b', ctx), undefined)
    assert.equal(consumerOf(state, 0, 'b', { ...ctx, now: 9000 }), 'b-1')
    assert.equal(consumerOf(state, 0, 'a', { ...ctx, now: 12_500 }), undefined)
    assert.equal(consumerOf(state, 1, 'a', ctx), undefined)
  })

  it('lists the healthy members', () => {
    assert.deepEqual([...healthyMembers(state, ctx)], ['a-1', 'a-2', 'a-3'])
  })
})
