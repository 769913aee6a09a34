import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Consumer, Kafka } from 'kafkajs'
import { partitionGroupId, pinnedPartitionAssigner } from '../../ingest/kafka/pinned-partition-assigner.ts'
import { kafkaClient, startBroker, tempDir, waitFor } from '../helpers/broker.ts'
import type { TestBroker } from '../helpers/broker.ts'

/**
 * The consumption pattern the node uses: one consumer group per owned partition with a pinned
 * assigner, starting from the committed offset, or from a timestamp (ListOffsets by time).
 */
const TOPIC = 'pinned'
const PARTITION = 2
const BASE_TS = 1_700_000_000_000

interface Seen { partition: number, offset: number, value: string }

async function pinnedConsumer (kafka: Kafka, group: string, seen: Seen[], opts: { commit?: (offset: number) => boolean, seekTo?: number } = {}): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: group, partitionAssigners: [pinnedPartitionAssigner(TOPIC, PARTITION)], heartbeatInterval: 300, sessionTimeout: 6000, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const offset = Number(message.offset)
      seen.push({ partition, offset, value: message.value?.toString() ?? '' })
      if (opts.commit?.(offset) === true) await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(offset + 1) }])
    },
  })
  if (opts.seekTo !== undefined) consumer.seek({ topic: TOPIC, partition: PARTITION, offset: String(opts.seekTo) })
  return consumer
}

describe('consuming one chosen partition with kafkajs', () => {
  const dir = tempDir('livestore-broker-pinned-')
  let tb: TestBroker
  let kafka: Kafka

  before(async () => {
    tb = await startBroker({ data_dir: dir.path })
    kafka = kafkaClient(tb.address)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }] })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    // One request (one record batch) per partition, with a timestamp one second apart per record,
    // so ListOffsets by timestamp must resolve inside a batch.
    for (let p = 0; p < 4; p++) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 100 }, (_, i) => ({ partition: p, value: `p${p}-${i}`, timestamp: String(BASE_TS + i * 1000) })) })
    }
    await producer.disconnect()
  })
  after(async () => { await tb?.stop(); dir.remove() })

  it('resumes from the committed offset and reads only that partition', async () => {
    const group = partitionGroupId('zone-a', PARTITION)
    const first: Seen[] = []
    const c1 = await pinnedConsumer(kafka, group, first, { commit: (o) => o === 49 })
    try { await waitFor(() => first.length >= 100, 20_000, 'first pass') } finally { await c1.disconnect() }
    assert.ok(first.every((s) => s.partition === PARTITION))

    const second: Seen[] = []
    const c2 = await pinnedConsumer(kafka, group, second)
    try { await waitFor(() => second.length >= 50, 20_000, 'resume from commit') } finally { await c2.disconnect() }
    assert.deepEqual(second.map((s) => s.offset), Array.from({ length: 50 }, (_, i) => 50 + i))
    assert.deepEqual(second.map((s) => s.value).slice(0, 2), ['p2-50', 'p2-51'])
  })

  it('starts from a timestamp inside a record batch', async () => {
    const admin = kafka.admin()
    await admin.connect()
    const byTs = await admin.fetchTopicOffsetsByTimestamp(TOPIC, BASE_TS + 70_000 - 500)
    const late = await admin.fetchTopicOffsetsByTimestamp(TOPIC, BASE_TS + 1_000_000)
    await admin.disconnect()
    assert.equal(byTs.find((p) => p.partition === PARTITION)?.offset, '70')
    assert.equal(late.find((p) => p.partition === PARTITION)?.offset, '100', 'a timestamp after the last record resolves to the log end')

    const seen: Seen[] = []
    const c = await pinnedConsumer(kafka, partitionGroupId('from-ts', PARTITION), seen, { seekTo: 70 })
    try { await waitFor(() => seen.length >= 30, 20_000, 'records from timestamp') } finally { await c.disconnect() }
    assert.deepEqual(seen.map((s) => s.offset), Array.from({ length: 30 }, (_, i) => 70 + i))
  })

  it('keeps a second member of the group as a standby that takes over when the owner leaves', async () => {
    const group = partitionGroupId('standby', PARTITION)
    const owner: Seen[] = []
    const standby: Seen[] = []
    const a = await pinnedConsumer(kafka, group, owner, { commit: () => true })
    await waitFor(() => owner.length >= 100, 20_000, 'owner consumed')
    const b = await pinnedConsumer(kafka, group, standby, { commit: () => true })
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500))
      assert.equal(standby.length, 0, 'the standby consumes nothing while the owner runs')
      await a.disconnect()
      const producer = kafka.producer()
      await producer.connect()
      await producer.send({ topic: TOPIC, messages: [{ partition: PARTITION, value: 'after-failover' }] })
      await producer.disconnect()
      await waitFor(() => standby.length >= 1, 20_000, 'standby takes over')
    } finally { await b.disconnect() }
    assert.deepEqual(standby.map((s) => s.value), ['after-failover'])
  })
})
