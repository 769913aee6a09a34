import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import { kafkaClient, startBroker, tempDir, waitFor } from '../helpers/broker.ts'
import type { TestBroker } from '../helpers/broker.ts'

/**
 * kafkajs producer + consumer groups against the embedded broker over loopback TCP: exactly-once
 * consumption with manual commits, a rebalance when a second member joins, and a broker restart
 * on the same data directory.
 */
const TOPIC = 'spans-100k'
const PARTITIONS = 8
const TOTAL = 100_000

interface Delivery { partition: number, offset: number, value: string }

/** Consumes with manual commits after each batch; records what was delivered and committed. */
async function runGroupConsumer (kafka: Kafka, groupId: string, topic: string, sink: Delivery[], committed: Map<number, number>, opts: { fromBeginning?: boolean, onBatch?: () => Promise<void> } = {}): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 300, sessionTimeout: 10_000, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true })
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload) => {
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) break
        const offset = Number(m.offset)
        const done = committed.get(batch.partition) ?? 0
        assert.ok(offset >= done, `record ${batch.partition}/${offset} delivered again after offset ${done} was committed`)
        sink.push({ partition: batch.partition, offset, value: m.value?.toString() ?? '' })
        resolveOffset(m.offset)
      }
      await opts.onBatch?.()
      const next = Number(batch.lastOffset()) + 1
      if (!isStale()) {
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(next) }])
        committed.set(batch.partition, Math.max(committed.get(batch.partition) ?? 0, next))
      }
    },
  })
  return consumer
}

async function produce (kafka: Kafka, topic: string, from: number, count: number, batch = 1000): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  for (let i = from; i < from + count; i += batch) {
    const messages = []
    for (let j = i; j < Math.min(i + batch, from + count); j++) messages.push({ partition: j % PARTITIONS, key: `k${j}`, value: `v${j}` })
    await producer.send({ topic, acks: -1, messages })
  }
  await producer.disconnect()
}

describe('broker with kafkajs consumer groups', () => {
  const dir = tempDir('livestore-broker-group-')
  let tb: TestBroker
  let kafka: Kafka

  before(async () => {
    tb = await startBroker({ data_dir: dir.path, partitions: PARTITIONS })
    kafka = kafkaClient(tb.address)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }, { topic: 'rebalance', numPartitions: PARTITIONS }] })
    await admin.disconnect()
  })
  after(async () => { await tb?.stop(); dir.remove() })

  it('delivers 100k records across 8 partitions exactly once with manual commits', async () => {
    await produce(kafka, TOPIC, 0, TOTAL)
    const got: Delivery[] = []
    const committed = new Map<number, number>()
    const consumer = await runGroupConsumer(kafka, 'g-exactly-once', TOPIC, got, committed)
    try {
      await waitFor(() => got.length >= TOTAL, 60_000, '100k records')
      await waitFor(() => [...committed.values()].reduce((a, b) => a + b, 0) === TOTAL, 10_000, 'all commits')
    } finally {
      await consumer.disconnect()
    }
    assert.equal(got.length, TOTAL)
    const values = new Set(got.map((d) => d.value))
    assert.equal(values.size, TOTAL)
    for (const d of got) assert.equal(Number(d.value.slice(1)) % PARTITIONS, d.partition, 'record landed in the partition it was produced to')
    for (let p = 0; p < PARTITIONS; p++) assert.equal(committed.get(p), TOTAL / PARTITIONS)
  })

  it('rebalances when a second member joins without losing or re-delivering committed records', async () => {
    const got: Delivery[] = []
    const committed = new Map<number, number>()
    const slow = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 5)) }
    await produce(kafka, 'rebalance', 0, 4000, 100)
    const a = await runGroupConsumer(kafka, 'g-rebalance', 'rebalance', got, committed, { onBatch: slow })
    await waitFor(() => got.length > 0, 20_000, 'first member consuming')
    const fromB: Delivery[] = []
    const b = await runGroupConsumer(kafka, 'g-rebalance', 'rebalance', fromB, committed, { onBatch: slow })
    try {
      // Keep producing through the rebalance so both members have work afterwards.
      await produce(kafka, 'rebalance', 4000, 8000, 100)
      await waitFor(() => new Set([...got, ...fromB].map((d) => d.value)).size >= 12_000, 60_000, 'all 12k records after the rebalance')
      await waitFor(() => [...committed.values()].reduce((x, y) => x + y, 0) === 12_000, 20_000, 'all commits')
    } finally {
      await Promise.all([a.disconnect(), b.disconnect()])
    }
    assert.ok(fromB.length > 0, 'the second member was assigned partitions and consumed')
    const admin = kafka.admin()
    await admin.connect()
    const desc = await admin.describeGroups(['g-rebalance'])
    await admin.disconnect()
    assert.equal(desc.groups[0]?.state, 'Empty')
  })

  it('keeps records and committed offsets across a broker restart on the same data directory', async () => {
    await tb.stop()
    tb = await startBroker({ data_dir: dir.path, partitions: PARTITIONS })
    kafka = kafkaClient(tb.address)
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchOffsets({ groupId: 'g-exactly-once', topics: [TOPIC] })
    const ends = await admin.fetchTopicOffsets(TOPIC)
    await admin.disconnect()
    assert.deepEqual(offsets[0]?.partitions.map((p) => Number(p.offset)).sort(), Array(PARTITIONS).fill(TOTAL / PARTITIONS))
    assert.deepEqual(ends.map((p) => Number(p.high)), Array(PARTITIONS).fill(TOTAL / PARTITIONS))

    // The committed group resumes after its commits: only new records arrive.
    const resumed: Delivery[] = []
    const c1 = await runGroupConsumer(kafka, 'g-exactly-once', TOPIC, resumed, new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, TOTAL / PARTITIONS])))
    await produce(kafka, TOPIC, TOTAL, 16, 16)
    try {
      await waitFor(() => resumed.length >= 16, 20_000, 'new records after restart')
    } finally { await c1.disconnect() }
    assert.deepEqual(resumed.map((d) => d.value).sort(), Array.from({ length: 16 }, (_, i) => `v${TOTAL + i}`).sort())

    // A new group reads every record again, intact.
    const all: Delivery[] = []
    const c2 = await runGroupConsumer(kafka, 'g-after-restart', TOPIC, all, new Map())
    try {
      await waitFor(() => all.length >= TOTAL + 16, 60_000, 'all records after restart')
    } finally { await c2.disconnect() }
    assert.equal(new Set(all.map((d) => d.value)).size, TOTAL + 16)
  })
})
