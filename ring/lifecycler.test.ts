import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { encodeMessage } from './codec/index.ts'
import { DownscaleConflictError } from './downscale.ts'
import { ownerKey } from './model.ts'
import { countTombstones, getPartition, ownersOf } from './read.ts'
import { T0, TestCluster, joinVia } from './testing-cluster.ts'
import { ring } from './testing.ts'

describe('partition lifecycler', () => {
  let c: TestCluster
  afterEach(async () => { await c.close() })

  it('a restart keeps the old owner timestamp, so promotion is not reset', async () => {
    c = new TestCluster(5)
    const keep = { remove_owner_on_shutdown: false }
    c.add('b-1', 'b', [1], keep)
    c.add('a-0', 'a', [0], { ...keep, ...joinVia('b-1') })
    await c.start('b-1')
    await c.start('a-0')
    const since = c.node('a-0').replica.ring.owners.get(ownerKey('a-0', 0))?.ts
    assert.ok(since !== undefined && since.wall === T0)

    await c.advance(4000)
    await c.stop('a-0')
    await c.advance(2000)
    c.add('a-0', 'a', [0], { ...keep, ...joinVia('b-1') })
    await c.start('a-0')
    assert.deepEqual(c.node('a-0').replica.ring.owners.get(ownerKey('a-0', 0))?.ts, since)

    await c.advance(3000) // T0 + 9 s
    assert.equal(getPartition(c.node('b-1').replica.ring, 0)?.state, 'pending')
    await c.advance(2000) // T0 + 11 s: 10 s after the first registration, not after the restart
    assert.equal(getPartition(c.node('b-1').replica.ring, 0)?.state, 'active')
    assert.equal(getPartition(c.node('a-0').replica.ring, 0)?.state, 'active')
  })

  it('removes the owner on shutdown, and a stale delta does not bring it back', async () => {
    c = new TestCluster(9)
    c.add('a-0', 'a', [0])
    c.add('b-0', 'b', [0], joinVia('a-0'))
    await c.start('a-0')
    await c.start('b-0')
    await c.advance(11_000)
    const a = c.node('a-0').replica.ring
    // What an old message of a-0 carried: its active owner entry and member entry.
    const stale = encodeMessage({ kind: 'delta', state: ring({ owners: [a.owners.get(ownerKey('a-0', 0)) ?? assert.fail()], members: [a.members.get('a-0') ?? assert.fail()] }) })

    await c.stop('a-0')
    const b = c.node('b-0')
    assert.deepEqual(ownersOf(b.replica.ring, 0).map((o) => o.ownerId), ['b-0'])
    // a-0's `left` entry buries its owner tombstone at once (model.ts dropDepartedOwners).
    assert.deepEqual(countTombstones(b.replica.ring), { partitions: 0, owners: 0, members: 1 })

    // The same peer id comes back and an old message of it arrives late: once at once, once
    // after the owner tombstone horizon (5 min) — the `left` entry (24 h) still wins.
    const replayer = c.network.createTransport('a-0')
    await replayer.start(new AbortController().signal)
    await replayer.dial('/memory/b-0')
    for (const wait of [0, 6 * 60_000]) {
      await c.advance(wait, 1000)
      const changing = b.replica.stats.changingMerges
      const received = b.replica.stats.messagesIn.delta
      await replayer.publish(stale)
      await c.advance(500)
      assert.equal(b.replica.stats.messagesIn.delta > received, true)
      assert.equal(b.replica.stats.changingMerges, changing)
      assert.deepEqual(ownersOf(b.replica.ring, 0).map((o) => o.ownerId), ['b-0'])
      assert.equal(b.replica.ring.members.get('a-0')?.info.value.state, 'left')
    }
    await replayer.stop()
  })

  it('downscale: inactive, prepared, ownership dropped on stop, partition deleted once ownerless', async () => {
    c = new TestCluster(13)
    const opts = { remove_owner_on_shutdown: false, delete_inactive_partition_after: 60_000 }
    c.add('a-0', 'a', [0], opts)
    c.add('b-1', 'b', [1], { ...opts, ...joinVia('a-0') })
    await c.start('a-0')
    await c.start('b-1')
    const a = c.node('a-0').lifecycler
    const b = c.node('b-1').replica

    await assert.rejects(a.preparePartitionDownscale(), DownscaleConflictError) // pending
    assert.throws(() => a.prepareDownscale(), DownscaleConflictError)
    await c.advance(11_000)
    assert.throws(() => a.prepareDownscale(), DownscaleConflictError) // active

    const [status] = await a.preparePartitionDownscale()
    assert.equal(status?.state, 'inactive')
    assert.equal(status?.timestamp, Math.floor(c.clock.now() / 1000))
    await c.advance(100)
    assert.equal(getPartition(b.ring, 0)?.state, 'inactive')
    assert.deepEqual((await a.preparePartitionDownscale()).map((s) => s.state), ['inactive']) // no-op
    assert.deepEqual((await a.cancelPartitionDownscale()).map((s) => [s.state, s.timestamp]), [['active', 0]])
    await a.preparePartitionDownscale()

    a.prepareDownscale()
    assert.equal(a.downscalePrepared, true)
    a.cancelPrepareDownscale()
    assert.equal(a.downscalePrepared, false)
    a.prepareDownscale()

    await c.advance(61_000)
    // Inactive long enough, but still owned: kept.
    assert.equal(getPartition(b.ring, 0)?.state, 'inactive')
    await c.stop('a-0')
    assert.deepEqual(ownersOf(b.ring, 0), [])
    await c.advance(1000)
    assert.equal(getPartition(b.ring, 0), undefined)
    assert.equal(b.ring.partitions.get(0)?.state.value, 'deleted')
  })

  it('with a downscale marker, owns a partition only once someone else created it', async () => {
    c = new TestCluster(17)
    c.add('a-0', 'a', [0])
    c.add('b-0', 'b', [0], { ...joinVia('a-0'), createPartitionOnStartup: false })
    c.add('c-5', 'a', [5], { ...joinVia('a-0'), createPartitionOnStartup: false })
    for (const id of ['a-0', 'b-0', 'c-5']) await c.start(id)
    await c.advance(1000)
    assert.deepEqual(ownersOf(c.node('a-0').replica.ring, 0).map((o) => o.ownerId), ['a-0', 'b-0'])
    assert.equal(getPartition(c.node('a-0').replica.ring, 5), undefined)
    assert.deepEqual(c.node('c-5').lifecycler.consumedPartitions(), [])
  })

  it('refuses downscale requests unless running', async () => {
    c = new TestCluster(19)
    const n = c.add('a-0', 'a', [0])
    await assert.rejects(n.lifecycler.preparePartitionDownscale(), /ring lifecycler is new/)
    assert.throws(() => n.lifecycler.prepareDownscale(), /ring lifecycler is new/)
  })
})
