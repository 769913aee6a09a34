import { parseArgs } from 'node:util'
import { encodeRecordBatch } from '../broker/protocol/record-batch.ts'
import { kafkaClient, startBrokerProcess, tempDir } from '../test/helpers/broker.ts'
import { RawConnection, countFetched, fetchFrame, produceFrame } from './raw-kafka-client.ts'
import { report } from './report.ts'

/**
 * Produce and consume throughput of the embedded broker over loopback. The broker runs in its own
 * process (as in production), so client and broker each get a core. Two clients:
 * - kafkajs (what the node uses): end-to-end figures, bounded by kafkajs's own CPU cost;
 * - a raw pipelining client on our protocol codecs that re-sends pre-encoded requests, to
 *   measure the broker's own capacity (`broker_only_*`).
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
  await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: partitions }, { topic: 'raw', numPartitions: partitions }] })
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
      // One send = one RecordBatch of `batch` records for one partition, partitions in turn.
      const messages = Array.from({ length: Math.min(batch, records - start) }, () => ({ partition: (start / batch) % partitions, value: payload }))
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
  // The clock starts when the group is joined, so the join round trip is not counted.
  consumer.on(consumer.events.GROUP_JOIN, () => { c0 = performance.now() })
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch: b }) => {
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

  // The broker alone: 4 connections × `inflight` pipelined produce requests of one batch each.
  const batchBytes = encodeRecordBatch({ records: Array.from({ length: batch }, (_, i) => ({ key: null, value: payload, timestamp: BigInt(Date.now()), offsetDelta: i })) })
  const frames = Array.from({ length: partitions }, (_, p) => produceFrame('raw', p, batchBytes, -1))
  const conns = await Promise.all(Array.from({ length: 4 }, () => RawConnection.open(proc.port)))
  let sentBatches = 0
  const totalBatches = Math.ceil(records / batch)
  const r0 = performance.now()
  await Promise.all(conns.flatMap((c) => Array.from({ length: inflight }, async () => {
    while (sentBatches < totalBatches) await c.request(frames[sentBatches++ % partitions] as Buffer)
  })))
  const rawProduceSec = (performance.now() - r0) / 1000
  report('broker', 'broker_only_produce_records_per_sec', totalBatches * batch / rawProduceSec, 'records/s', { ...params, client: 'raw', connections: 4 })
  report('broker', 'broker_only_produce_mb_per_sec', totalBatches * batch * size / rawProduceSec / 1e6, 'MB/s', { ...params, client: 'raw', connections: 4 })

  const offsets = Array.from({ length: partitions }, () => 0n)
  let fetched = 0
  const f0 = performance.now()
  while (fetched < totalBatches * batch) {
    fetched += countFetched(await (conns[0] as RawConnection).request(fetchFrame('raw', offsets, 50 * 1024 * 1024, 10 * 1024 * 1024)), offsets)
  }
  const rawFetchSec = (performance.now() - f0) / 1000
  report('broker', 'broker_only_consume_records_per_sec', fetched / rawFetchSec, 'records/s', { ...params, client: 'raw' })
  report('broker', 'broker_only_consume_mb_per_sec', fetched * size / rawFetchSec / 1e6, 'MB/s', { ...params, client: 'raw' })
  for (const c of conns) c.close()
} finally {
  proc.child.kill('SIGTERM')
  await proc.exited
  dir.remove()
}
