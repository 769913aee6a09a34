import { parseArgs } from 'node:util'
import { kafkaClient, startBrokerProcess, tempDir } from '../test/helpers/broker.ts'
import { report } from './report.ts'

/**
 * Produce and consume throughput of the embedded broker with kafkajs over loopback. The broker
 * runs in its own process (as in production), so client and broker each get a core.
 *   npm run bench -- broker [--records 200000] [--size 1024] [--batch 100] [--inflight 8] [--partitions 8]
 */
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    size: { type: 'string', default: '1024' },
    batch: { type: 'string', default: '100' },
    inflight: { type: 'string', default: '8' },
    partitions: { type: 'string', default: '8' },
    fsync: { type: 'string', default: 'always' },
  },
})
const records = Number(values.records)
const size = Number(values.size)
const batch = Number(values.batch)
const inflight = Number(values.inflight)
const partitions = Number(values.partitions)
const params = { records, recordBytes: size, batch, inflight, partitions, fsync: values.fsync }

const dir = tempDir('livestore-bench-broker-')
const proc = await startBrokerProcess(dir.path, ['--partitions', String(partitions), '--broker.fsync', String(values.fsync)])
try {
  const kafka = kafkaClient(proc.address, 'bench')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: partitions }] })
  await admin.disconnect()

  const payload = Buffer.alloc(size, 'x')
  const producer = kafka.producer({ maxInFlightRequests: inflight })
  await producer.connect()
  let next = 0
  const t0 = performance.now()
  // `inflight` concurrent senders, each sending batches of `batch` records with acks=-1.
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (next < records) {
      const start = next
      next += batch
      const messages = Array.from({ length: Math.min(batch, records - start) }, (_, i) => ({ partition: (start + i) % partitions, value: payload }))
      await producer.send({ topic: 'bench', acks: -1, messages })
    }
  }))
  const produceSec = (performance.now() - t0) / 1000
  await producer.disconnect()
  report('broker', 'produce_records_per_sec', records / produceSec, 'records/s', params)
  report('broker', 'produce_mb_per_sec', records * size / produceSec / 1e6, 'MB/s', params)

  const consumer = kafka.consumer({ groupId: 'bench', maxBytes: 50 * 1024 * 1024, maxBytesPerPartition: 10 * 1024 * 1024, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic: 'bench', fromBeginning: true })
  let consumed = 0
  let c0 = 0
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch: b }) => {
        if (consumed === 0) c0 = performance.now()
        consumed += b.messages.length
        if (consumed >= records) resolve()
      },
    })
  })
  await done
  const consumeSec = (performance.now() - c0) / 1000
  await consumer.disconnect()
  report('broker', 'consume_records_per_sec', records / consumeSec, 'records/s', params)
  report('broker', 'consume_mb_per_sec', records * size / consumeSec / 1e6, 'MB/s', params)
} finally {
  proc.child.kill('SIGTERM')
  await proc.exited
  dir.remove()
}
