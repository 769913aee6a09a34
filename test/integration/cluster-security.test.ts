import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import pino from 'pino'
import { encodeMessage } from '../../ring/codec/index.ts'
import { ownersOf } from '../../ring/read.ts'
import { member, owner, ring, t } from '../../ring/testing.ts'
import { createLibp2pTransport } from '../../ring/transport/libp2p.ts'
import type { Libp2pTransport } from '../../ring/transport/libp2p.ts'
import { formatClusterKey, generateClusterKey } from '../../ring/transport/psk.ts'
import { tempDir } from '../helpers/broker.ts'
import { eventually, startNode } from '../helpers/node.ts'
import type { TestNode } from '../helpers/node.ts'
import { systemClock } from '../../node/system-clock.ts'

/**
 * The cluster key through a whole node over real libp2p on loopback: a host with another key or
 * none cannot join or change the ring, and a rogue peer that has the key cannot forge another
 * node's ownership or stamp entries in the far future — its messages are rejected and counted.
 */
describe('cluster key and gossip validation through a node', () => {
  const dir = tempDir('livestore-security-')
  const stops: (() => Promise<void>)[] = []
  after(async () => { for (const s of stops.reverse()) await s(); dir.remove() })

  const keyFile = (name: string, key = generateClusterKey()): { path: string, key: Uint8Array } => {
    const path = join(dir.path, name)
    writeFileSync(path, formatClusterKey(key), { mode: 0o600 })
    return { path, key }
  }
  const clusterFlags = (id: string, key: string, extra: Record<string, string> = {}): Record<string, string> => ({
    'memberlist.enabled': 'true',
    'memberlist.bind_addr': '127.0.0.1',
    'memberlist.bind_port': '0',
    'memberlist.key_file': key,
    'live_store.instance_id': id,
    'live_store.instance_zone': id.split('-')[0]!,
    'live_store.partitions': '0',
    'live_store.partition_ring.min_partition_owners_duration': '200ms',
    'kafka.topic_partitions': '1',
    ...extra,
  })
  const rejected = async (n: TestNode, reason: string): Promise<number> => {
    const text = await n.registry.getSingleMetricAsString('livestore_ring_gossip_rejected_total')
    return Number(text.split('\n').find((l) => l.includes(`reason="${reason}"`))?.split(' ').pop() ?? 0)
  }

  it('keeps out hosts without the key and rejects forgeries from one with it', async () => {
    const good = keyFile('cluster.key')
    const a = await startNode(clusterFlags('a-0', good.path))
    stops.push(() => a.stop())
    const address = a.node.cluster?.transport?.addresses().find((x) => x.includes('127.0.0.1'))
    assert.ok(address !== undefined)
    const broker = `127.0.0.1:${a.node.broker?.address().port}`

    // Another key: the join dial fails, the node starts alone, and a-0 never hears of it.
    const other = await startNode(clusterFlags('b-0', keyFile('other.key').path, { 'kafka.brokers': broker, 'memberlist.join_members': address }))
    stops.push(() => other.stop())
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const aRing = (): ReturnType<NonNullable<TestNode['node']['cluster']>['ringState']> => a.node.cluster?.ringState()
    assert.equal(aRing()?.members.has('b-0'), false, 'a node with another key joined')
    assert.deepEqual(ownersOf(aRing()!, 0).map((o) => o.ownerId), ['a-0'])

    // A rogue libp2p host with the right key publishes crafted deltas.
    const rogue: Libp2pTransport = await createLibp2pTransport({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      keyDir: join(dir.path, 'rogue'),
      clusterKey: good.key,
      topic: 'livestore/ring/v1',
      protocol: '/livestore/ring/1.0.0',
      clock: systemClock(),
      logger: pino({ level: 'silent' }),
    })
    await rogue.start(new AbortController().signal)
    stops.push(() => rogue.stop())
    await rogue.dial(address)
    const now = Date.now()
    const self = [`/p2p/${rogue.localId}`]
    const forgedOwner = encodeMessage({ kind: 'delta', state: ring({ owners: [owner('a-0', 0, 'deleted', 'a', t(now), 'rogue')], members: [member('rogue', 'active', 'a', t(now), t(now), self)] }) })
    const future = encodeMessage({ kind: 'delta', state: ring({ members: [member('rogue', 'active', 'a', t(now + 365 * 86_400_000), t(now + 365 * 86_400_000), self)] }) })
    // Gossipsub needs a moment to learn a-0's subscription: publish until each is counted.
    await eventually(async () => { await rogue.publish(forgedOwner).catch(() => undefined); return await rejected(a, 'foreign_owner') > 0 ? true : null }, 15_000, 'forged owner rejected')
    await eventually(async () => { await rogue.publish(future).catch(() => undefined); return await rejected(a, 'clock_skew') > 0 ? true : null }, 15_000, 'far-future entry rejected')
    assert.deepEqual(ownersOf(aRing()!, 0).map((o) => o.ownerId), ['a-0'], 'the ring is unchanged')
    assert.equal(aRing()?.members.has('rogue'), false)
  })
})
