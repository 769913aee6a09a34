import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import type { RingEventMap } from './events.ts'
import { TestCluster, joinVia } from './testing-cluster.ts'

/** a-1 (registered first) and a-2 own partition 0 in zone a, b-1 owns it in zone b. */
async function zoneWithStandby (seed: number, latencyMs: number): Promise<TestCluster> {
  const c = new TestCluster(seed, latencyMs)
  c.add('a-1', 'a', [0])
  c.add('a-2', 'a', [0], joinVia('a-1'))
  c.add('b-1', 'b', [0], joinVia('a-1'))
  await c.start('a-1')
  await c.advance(500)
  await c.start('a-2')
  await c.start('b-1')
  // Never two consumers of one partition in one zone, checked after every 100 ms step.
  c.check = () => {
    for (const zone of ['a', 'b']) {
      const consumers = c.running().filter((n) => n.config.instance_zone === zone && n.lifecycler.isConsumer(0)).map((n) => n.id)
      assert.ok(consumers.length <= 1, `zone ${zone} has two consumers at ${c.clock.now()}: ${consumers.join(', ')}`)
    }
  }
  await c.advance(11_000)
  assert.equal(c.node('a-1').lifecycler.isConsumer(0), true)
  assert.equal(c.node('a-2').lifecycler.isConsumer(0), false)
  assert.equal(c.node('b-1').lifecycler.isConsumer(0), true)
  return c
}

function record<K extends keyof RingEventMap> (c: TestCluster, id: string, type: K): RingEventMap[K][] {
  const seen: RingEventMap[K][] = []
  c.node(id).events.on(type, (d) => { seen.push(d) })
  return seen
}

for (const latencyMs of [0, 20]) {
describe(`standby owners in one zone (latency ${latencyMs} ms)`, () => {
  let c: TestCluster
  afterEach(async () => { await c.close() })

  it('the standby takes over at once when the consumer leaves', async () => {
    c = await zoneWithStandby(21, latencyMs)
    const assigned = c.node('a-2').events.once('partition:assigned')
    // The leaving consumer releases its partitions before its ownership is withdrawn.
    const a1 = c.node('a-1')
    const off = a1.events.on('partition:revoked', () => {
      assert.equal(c.node('a-2').lifecycler.isConsumer(0), false)
    })
    await c.stop('a-1')
    off()
    assert.deepEqual(await assigned, { partition: 0 })
    await c.advance(2000)
    assert.equal(c.node('a-2').lifecycler.isConsumer(0), true)
    assert.equal(c.node('b-1').lifecycler.isConsumer(0), true)
  })

  it('the standby takes over when the consumer crashes and its heartbeat expires', async () => {
    c = await zoneWithStandby(23, latencyMs)
    const suspects = record(c, 'a-2', 'member:suspect')
    await c.crash('a-1')
    const lastBeat = c.node('a-2').replica.ring.members.get('a-1')?.heartbeat.ts.wall ?? assert.fail()
    let takeover: number | undefined
    c.node('a-2').events.on('partition:assigned', () => { takeover = c.clock.now() })
    await c.advance(6000)
    assert.ok(takeover !== undefined, 'a-2 never took over')
    // Unhealthy once the heartbeat is older than heartbeat_timeout (3 s), seen at the next
    // reconcile (1 s) or ring change.
    const after = takeover - lastBeat
    assert.ok(after > 3000 && after <= 4100, `took over ${after} ms after the last heartbeat`)
    assert.deepEqual(suspects.map((s) => s.nodeId), ['a-1'])
  })

  it('a crashed consumer that restarts takes its partition back without overlap', async () => {
    c = await zoneWithStandby(29, latencyMs)
    await c.crash('a-1')
    await c.advance(5000)
    assert.equal(c.node('a-2').lifecycler.isConsumer(0), true)
    const revoked = record(c, 'a-2', 'partition:revoked')
    // Its owner entry survived the crash, so it is still the oldest registration.
    c.add('a-1', 'a', [0], joinVia('a-2'))
    await c.start('a-1')
    c.check()
    assert.equal(c.node('a-1').lifecycler.isConsumer(0), false) // still in its start-up grace
    await c.advance(4000)
    assert.equal(c.node('a-1').lifecycler.isConsumer(0), true)
    assert.deepEqual(revoked, [{ partition: 0, reason: 'standby' }])
  })

  it('after a graceful restart the old consumer comes back as the standby', async () => {
    c = await zoneWithStandby(31, latencyMs)
    await c.stop('a-1')
    await c.advance(1000)
    c.add('a-1', 'a', [0], joinVia('b-1'))
    await c.start('a-1')
    await c.advance(5000)
    assert.equal(c.node('a-2').lifecycler.isConsumer(0), true)
    assert.equal(c.node('a-1').lifecycler.isConsumer(0), false)
  })
})
}
