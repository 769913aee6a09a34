import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseKeyFlags } from './cli-flags.ts'
import { loadConfig } from './config.ts'
import { consecutivePorts, joinAddress, joinTarget, nodeFlags, partitionsOfNode, planCluster, portsNeeded, readyLine, startArgs, zoneNames } from './cluster-plan.ts'
import type { PlannedNode } from './cluster-plan.ts'

describe('livestore cluster plan', () => {
  it('names zones a, b, … and spreads partitions over the nodes of a zone', () => {
    assert.deepEqual(zoneNames(3), ['a', 'b', 'c'])
    assert.deepEqual(partitionsOfNode(0, 3, 3), { partitions: [0], standby: false })
    assert.deepEqual(partitionsOfNode(1, 2, 5), { partitions: [1, 3], standby: false })
    // Fewer partitions than nodes: the spare nodes stand by for every partition.
    assert.deepEqual(partitionsOfNode(2, 3, 2), { partitions: [0, 1], standby: true })
    assert.deepEqual(partitionsOfNode(0, 1, 3), { partitions: [0, 1, 2], standby: false })
  })

  it('lays nodes out zone by zone on consecutive ports, the broker last', () => {
    const o = { zones: 2, nodesPerZone: 3, partitions: 3, dataDir: '/d' }
    assert.equal(portsNeeded(o), 19)
    const plan = planCluster(o, consecutivePorts(5000, 19))
    assert.deepEqual(plan.nodes.map((n) => n.name), ['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'b-2'])
    assert.deepEqual(plan.nodes.map((n) => n.partitions), [[0], [1], [2], [0], [1], [2]])
    const b1 = plan.nodes[4]
    assert.deepEqual([b1?.zone, b1?.http, b1?.otlp, b1?.gossip, b1?.dir, b1?.log], ['b', 5012, 5013, 5014, '/d/b-1', '/d/b-1.log'])
    assert.equal(plan.broker.port, 5018)
    assert.equal(plan.keyFile, '/d/cluster.key')
    assert.throws(() => consecutivePorts(65530, 19), /--base-port must leave room for 19 consecutive ports/)
    assert.throws(() => planCluster(o, [1, 2, 3]), /needs 19 ports/)
  })

  it('joins the owners through the first node and the standbys through their zone\'s first node', () => {
    const plan = planCluster({ zones: 2, nodesPerZone: 3, partitions: 2, dataDir: '/d' }, consecutivePorts(5000, 19))
    assert.deepEqual(plan.nodes.map((n) => joinTarget(plan, n)?.name), [undefined, 'a-0', 'a-0', 'a-0', 'a-0', 'b-0'])
    assert.deepEqual(plan.nodes.map((n) => n.standby), [false, false, true, false, false, true])
  })

  it('gives each node flags that make a valid zone-aware cluster config', () => {
    const plan = planCluster({ zones: 2, nodesPerZone: 1, partitions: 2, dataDir: '/d' }, consecutivePorts(6000, 7))
    const [a0, b0] = plan.nodes
    assert.ok(a0 !== undefined && b0 !== undefined)
    const join = joinAddress(a0, '12D3KooWPeer')
    assert.equal(join, '/ip4/127.0.0.1/tcp/6002/p2p/12D3KooWPeer')
    const first = nodeFlags(plan, a0, undefined)
    assert.equal(first['memberlist.join_members'], undefined)
    const args = startArgs(b0, nodeFlags(plan, b0, join, { 'live_store.max_trace_idle': '2s' }))
    assert.deepEqual(args.slice(0, 3), ['start', '--data-dir', '/d/b-0'])
    // The words parse back as key flags and load as one valid config.
    const { flags, problems } = parseKeyFlags(args.slice(3))
    assert.deepEqual(problems, [])
    const c = loadConfig({ flags })
    assert.deepEqual(c.kafka.brokers, ['127.0.0.1:6006'])
    assert.equal(c.kafka.topic_partitions, 2)
    assert.equal(c.memberlist.enabled, true)
    assert.equal(c.memberlist.bind_port, 6005)
    assert.equal(c.memberlist.key_file, '/d/cluster.key')
    assert.deepEqual(c.memberlist.join_members, [join])
    assert.deepEqual([c.live_store.instance_id, c.live_store.instance_zone, c.live_store.partitions], ['b-0', 'b', ['0', '1']])
    assert.equal(c.live_store.partition_ring.min_partition_owners_count, 2)
    assert.equal(c.live_store.partition_ring.min_partition_owners_duration, 2000)
    assert.equal(c.live_store.max_trace_idle, 2000)
    assert.deepEqual([c.server.http_listen_address, c.server.http_listen_port, c.distributor.otlp_http_listen_port], ['127.0.0.1', 6003, 6004])
  })

  it('prints exactly the documented JSON line', () => {
    const plan = planCluster({ zones: 1, nodesPerZone: 1, partitions: 1, dataDir: '/d' }, [3201, 4319, 7946, 9092])
    assert.equal(readyLine(plan.nodes[0]!, 1234), '{"node":"a-0","zone":"a","pid":1234,"host":"127.0.0.1","http":3201,"otlp":4319}\n')
    assert.equal(readyLine(plan.nodes[0]!, 1234, { netns: 'livestore-1-a', veth: 'ls1a' }), '{"node":"a-0","zone":"a","pid":1234,"host":"127.0.0.1","http":3201,"otlp":4319,"netns":"livestore-1-a","veth":"ls1a"}\n')
  })

  it('puts each zone on its own address when given one (network namespaces), the broker on the bridge', () => {
    const plan = planCluster({ zones: 2, nodesPerZone: 1, partitions: 1, dataDir: '/d' }, [1, 2, 3, 4, 5, 6, 7], { broker: '10.0.0.1', zone: (z) => z === 'a' ? '10.0.0.10' : '10.0.0.11' })
    const [a, b] = plan.nodes as [PlannedNode, PlannedNode]
    const flags = nodeFlags(plan, b, joinAddress(a, 'PEER'))
    assert.deepEqual([flags['kafka.brokers'], flags['server.http_listen_address'], flags['distributor.otlp_http_listen_address'], flags['memberlist.bind_addr'], flags['memberlist.join_members']],
      ['10.0.0.1:7', '10.0.0.11', '10.0.0.11', '10.0.0.11', '/ip4/10.0.0.10/tcp/3/p2p/PEER'])
  })
})
