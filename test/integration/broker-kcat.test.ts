import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Kafka } from 'kafkajs'
import { kafkaClient, startBroker, tempDir } from '../helpers/broker.ts'
import type { TestBroker } from '../helpers/broker.ts'
import { kcat, kcatMissing } from '../helpers/kcat.ts'

/**
 * librdkafka (Debian's kcat) is an independent Kafka client: it opens with ApiVersions v3 and must
 * fall back per KIP-511, then list metadata, produce and consume against the embedded broker.
 */
describe('broker with kcat (librdkafka)', { skip: kcatMissing }, () => {
  const dir = tempDir('livestore-broker-kcat-')
  let tb: TestBroker
  let kafka: Kafka

  before(async () => {
    tb = await startBroker({ data_dir: dir.path, partitions: 3 })
    kafka = kafkaClient(tb.address)
  })
  after(async () => { await tb?.stop(); dir.remove() })

  it('produces with -P and consumes with -C -o beginning -e', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line-${i}`)
    const p = await kcat(['-b', tb.address, '-P', '-t', 'kcat-topic', '-p', '1'], lines.join('\n') + '\n')
    assert.equal(p.code, 0, p.stderr)
    const c = await kcat(['-b', tb.address, '-C', '-t', 'kcat-topic', '-p', '1', '-o', 'beginning', '-e', '-q'])
    assert.equal(c.code, 0, c.stderr)
    assert.deepEqual(c.stdout.trim().split('\n'), lines)
  })

  it('lists brokers, topics and partitions with -L', async () => {
    const l = await kcat(['-b', tb.address, '-L'])
    assert.equal(l.code, 0, l.stderr)
    assert.match(l.stdout, /1 brokers:\s+broker 0 at 127\.0\.0\.1:\d+/)
    assert.match(l.stdout, /topic "kcat-topic" with 3 partitions:/)
    assert.match(l.stdout, /partition 2, leader 0, replicas: 0, isrs: 0/)
  })

  it('reads what kafkajs wrote, and kafkajs reads what kcat wrote', async () => {
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'kcat-topic', messages: [{ partition: 0, key: 'k', value: 'from-kafkajs' }] })
    await producer.disconnect()
    const c = await kcat(['-b', tb.address, '-C', '-t', 'kcat-topic', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'])
    assert.equal(c.stdout.trim(), 'k=from-kafkajs')

    const consumer = kafka.consumer({ groupId: 'read-kcat', maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'kcat-topic', fromBeginning: true })
    const values: string[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('kafkajs did not read kcat records')), 20_000)
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (partition === 1) values.push(message.value?.toString() ?? '')
          if (values.length === 50) { clearTimeout(timer); resolve() }
        },
      })
    })
    await consumer.disconnect()
    assert.equal(values[0], 'line-0')
    assert.equal(values[49], 'line-49')
  })
})
