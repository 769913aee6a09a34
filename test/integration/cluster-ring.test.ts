import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { encodeTracesProto } from '../../common/otlp/index.ts'
import { span, traces } from '../../common/otlp/testing/model-fixture.ts'
import { eventually, startNode } from '../helpers/node.ts'
import type { TestNode } from '../helpers/node.ts'

/**
 * Two nodes in two zones over real libp2p on loopback, sharing the first node's embedded broker:
 * they gossip one ring, claim their partitions, promote them, consume what they own, and a
 * write to either lands in an active partition.
 */
const ring = (id: string, zone: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'memberlist.enabled': 'true',
  'memberlist.bind_addr': '127.0.0.1',
  'memberlist.bind_port': '0',
  'live_store.instance_id': id,
  'live_store.instance_zone': zone,
  'live_store.partitions': '0,1',
  'live_store.partition_ring.min_partition_owners_count': '2',
  'live_store.partition_ring.min_partition_owners_duration': '500ms',
  'kafka.topic_partitions': '2',
  ...extra,
})

describe('a two-zone ring over libp2p', () => {
  const nodes: TestNode[] = []
  after(async () => { for (const n of nodes.reverse()) await n.stop() })

  it('promotes the partitions once both zones own them, consumes them, and routes writes to them', async () => {
    const a = await startNode(ring('a-0', 'a'))
    nodes.push(a)
    const brokerPort = a.node.broker?.address().port
    const addr = a.node.cluster?.transport?.addresses().find((x) => x.includes('127.0.0.1'))
    assert.ok(addr !== undefined && brokerPort !== undefined)
    const b = await startNode(ring('b-0', 'b', { 'kafka.brokers': `127.0.0.1:${brokerPort}`, 'memberlist.join_members': addr }))
    nodes.push(b)
    for (const n of [a, b]) {
      await eventually(async () => n.node.cluster?.activePartitions().length === 2 ? true : null, 15_000, 'both partitions active')
      await eventually(async () => n.node.reader.assigned().length === 2 ? true : null, 15_000, 'consuming both partitions')
    }
    const s = span({ traceId: Buffer.from('5eed'.repeat(8), 'hex') })
    const res = await fetch(`${b.otlp}/v1/traces`, { method: 'POST', body: encodeTracesProto(traces([s])), headers: { 'content-type': 'application/x-protobuf' } })
    assert.equal(res.status, 200)
    for (const n of [a, b]) {
      await eventually(async () => (await fetch(`${n.api}/api/traces/${s.traceId.toString('hex')}`)).status === 200 ? true : null, 15_000, 'the trace on both zones')
    }
    const status = await (await fetch(`${a.api}/api/ring`)).json() as { partitions: { id: number, state: string }[] }
    assert.deepEqual(status.partitions.map((p) => [p.id, p.state]), [[0, 'active'], [1, 'active']])
  })
})
