import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { kafkaClient, startBrokerProcess, tempDir, waitFor } from '../helpers/broker.ts'

/**
 * SIGKILL a broker process while producers with acks=-1 run, restart it on the same data
 * directory, and check that every acknowledged record is there, in order, exactly once.
 */
const PARTITIONS = 4

describe('broker crash recovery', () => {
  const dir = tempDir('livestore-broker-crash-')
  after(() => dir.remove())

  it('keeps every acknowledged record after SIGKILL', async () => {
    const first = await startBrokerProcess(dir.path, ['--partitions', String(PARTITIONS)])
    const kafka = kafkaClient(first.address)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: PARTITIONS }] })
    await admin.disconnect()

    const acked = new Set<string>()
    let stop = false
    // Four concurrent producer loops, one per partition, each numbering its records in order.
    const loops = Array.from({ length: PARTITIONS }, async (_, p) => {
      const producer = kafka.producer({ retry: { retries: 0 } })
      await producer.connect()
      let seq = 0
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => ({ partition: p, value: `${p}:${seq++}` }))
        try {
          await producer.send({ topic: 'crash', acks: -1, messages: batch })
          for (const m of batch) acked.add(m.value)
        } catch { break }
      }
      await producer.disconnect().catch(() => undefined)
    })
    await waitFor(() => acked.size >= 5000, 30_000, 'records acknowledged before the crash')
    first.child.kill('SIGKILL')
    await first.exited
    stop = true
    await Promise.all(loops)
    const ackedCount = acked.size

    const second = await startBrokerProcess(dir.path)
    try {
      const kafka2 = kafkaClient(second.address)
      const consumer = kafka2.consumer({ groupId: 'after-crash', maxWaitTimeInMs: 100 })
      const seen = new Map<number, string[]>()
      await consumer.connect()
      await consumer.subscribe({ topic: 'crash', fromBeginning: true })
      await consumer.run({ eachMessage: async ({ partition, message }) => { seen.set(partition, [...(seen.get(partition) ?? []), message.value?.toString() ?? '']) } })
      const admin2 = kafka2.admin()
      await admin2.connect()
      const ends = await admin2.fetchTopicOffsets('crash')
      await admin2.disconnect()
      const total = ends.reduce((n, p) => n + Number(p.high), 0)
      await waitFor(() => [...seen.values()].reduce((n, v) => n + v.length, 0) >= total, 30_000, 'all records after restart')
      await consumer.disconnect()

      for (const [p, values] of seen) {
        const seqs = values.map((v) => Number(v.split(':')[1]))
        assert.ok(values.every((v) => v.startsWith(`${p}:`)))
        assert.deepEqual(seqs, seqs.map((_, i) => i), `partition ${p} holds its records in order, once each, without gaps`)
      }
      const stored = new Set([...seen.values()].flat())
      const lost = [...acked].filter((v) => !stored.has(v))
      assert.deepEqual(lost, [], `${lost.length} of ${ackedCount} acknowledged records were lost`)
    } finally {
      second.child.kill('SIGTERM')
      await second.exited
    }
  })
})
