import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { encodeMessage } from './codec/index.ts'
import { getPartition, listMembers, listPartitions, ownersOf } from './read.ts'
import { TestCluster, joinVia } from './testing-cluster.ts'
import { t } from './testing.ts'

/**
 * The canonical bytes of a replica's state: equal bytes = equal states. With network latency a
 * heartbeat is always in flight somewhere, so those compare with heartbeats blanked out.
 */
function snapshot (c: TestCluster, id: string, heartbeats: boolean): string {
  const state = c.node(id).replica.ring
  const members = heartbeats ? state.members : new Map([...state.members].map(([k, m]) => [k, { ...m, heartbeat: { ts: t(0), writer: k } }]))
  return encodeMessage({ kind: 'full', state: { ...state, members } }).toString('hex')
}

function assertConverged (c: TestCluster, heartbeats = true): void {
  const [first, ...rest] = c.running().map((n) => n.id)
  for (const id of rest) assert.equal(snapshot(c, id, heartbeats), snapshot(c, first as string, heartbeats), `${id} differs from ${first}`)
}

describe('ring cluster (memory network, manual clock)', () => {
  let c: TestCluster
  afterEach(async () => { await c.close() })

  for (const latencyMs of [0, 20]) {
    it(`3 nodes in 2 zones claim 3 partitions: all active after the owners duration, replicas converge (latency ${latencyMs} ms)`, async () => {
      c = new TestCluster(7, latencyMs)
      const two = { min_partition_owners_count: 2 }
      c.add('a-1', 'a', [0, 1], two)
      c.add('a-2', 'a', [2], { ...two, ...joinVia('a-1') })
      c.add('b-1', 'b', [0, 1, 2], { ...two, ...joinVia('a-1') })
      for (const id of ['a-1', 'a-2', 'b-1']) await c.start(id)

      await c.advance(1000)
      for (const n of c.running()) {
        assert.deepEqual(listPartitions(n.replica.ring).map((p) => [p.id, p.state]), [[0, 'pending'], [1, 'pending'], [2, 'pending']], n.id)
      }
      await c.advance(10_000)
      for (const n of c.running()) {
        assert.deepEqual(listPartitions(n.replica.ring).map((p) => p.state), ['active', 'active', 'active'], n.id)
        assert.deepEqual(listMembers(n.replica.ring).map((m) => m.nodeId), ['a-1', 'a-2', 'b-1'])
        assert.deepEqual(ownersOf(n.replica.ring, 2).map((o) => [o.ownerId, o.zone]), [['a-2', 'a'], ['b-1', 'b']])
      }
      assertConverged(c, latencyMs === 0)
      assert.deepEqual(c.node('a-1').lifecycler.consumedPartitions(), [0, 1])
      assert.deepEqual(c.node('a-2').lifecycler.consumedPartitions(), [2])
      assert.deepEqual(c.node('b-1').lifecycler.consumedPartitions(), [0, 1, 2])
      for (const n of c.running()) assert.equal(n.replica.stats.rejectedTotal, 0, n.id)
    })
  }

  it('a late joiner pulls the full state before it reports synced', async () => {
    c = new TestCluster(3)
    c.add('a-0', 'a', [0])
    c.add('b-0', 'b', [0], joinVia('a-0'))
    await c.start('a-0')
    await c.start('b-0')
    await c.advance(12_000)
    assert.equal(getPartition(c.node('a-0').replica.ring, 0)?.state, 'active')

    const late = c.add('c-1', 'a', [1], joinVia('b-0'))
    const signal = new AbortController().signal
    await late.transport.start(signal)
    assert.equal(late.replica.synced, false)
    const starting = late.replica.start(signal)
    assert.equal(late.replica.synced, false)
    await starting
    // Synced means the peer's ring is here already: nothing was published by c-1 yet.
    assert.equal(late.replica.synced, true)
    assert.equal(getPartition(late.replica.ring, 0)?.state, 'active')
    assert.deepEqual(ownersOf(late.replica.ring, 0).map((o) => o.ownerId), ['a-0', 'b-0'])
    assert.equal(late.replica.stats.messagesOut.delta, 0)
    await late.lifecycler.start(signal)
    late.running = true
    await c.advance(11_000)
    assertConverged(c)
    assert.equal(getPartition(c.node('a-0').replica.ring, 1)?.state, 'active')
  })

  it('a network partition heals through the push/pull on reconnection, not through later deltas', async () => {
    c = new TestCluster(11)
    c.add('a-0', 'a', [0])
    c.add('b-0', 'b', [0], joinVia('a-0'))
    c.add('c-1', 'a', [1], joinVia('a-0'))
    for (const id of ['a-0', 'b-0', 'c-1']) await c.start(id)
    await c.advance(11_000)
    assertConverged(c)

    c.network.isolate('c-1')
    await c.node('a-0').lifecycler.preparePartitionDownscale()
    await c.advance(5000)
    assert.equal(getPartition(c.node('b-0').replica.ring, 0)?.state, 'inactive')
    assert.equal(getPartition(c.node('c-1').replica.ring, 0)?.state, 'active')

    c.network.heal()
    await c.advance(400)
    // Heartbeats flow again, but they do not carry partition 0 ...
    assert.equal(getPartition(c.node('c-1').replica.ring, 0)?.state, 'active')
    // ... the full-state exchange a moment after the links came back up does.
    await c.advance(600)
    assert.equal(getPartition(c.node('c-1').replica.ring, 0)?.state, 'inactive')
    assertConverged(c)
    assert.ok(c.running().some((n) => n.replica.stats.exchanges > 0))
  })
})
