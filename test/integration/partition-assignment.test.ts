import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { defaultsOf } from '../../common/config-schema.ts'
import { httpStatusOf, UnavailableError } from '../../common/errors.ts'
import { encodeTracesProto, splitRequestByTrace } from '../../common/otlp/index.ts'
import { distributorSchema, kafkaSchema, liveStoreIngestSchema } from '../../ingest/config.ts'
import { Distributor } from '../../ingest/distributor.ts'
import { KafkaConnection } from '../../ingest/kafka/connection.ts'
import { createIngestMetrics } from '../../ingest/metrics.ts'
import type { IngestMetrics } from '../../ingest/metrics.ts'
import { FETCH_STALL_MS, PartitionReader } from '../../ingest/partition-reader.ts'
import type { OffsetWatermarks, PartitionReaderDeps } from '../../ingest/partition-reader.ts'
import { RingRouting } from '../../ingest/ring-routing.ts'
import { encodeRecord } from '../../ingest/record-format.ts'
import { partitionForTrace } from '../../ingest/routing.ts'
import { createRegistry } from '../../node/metrics.ts'
import { systemClock } from '../../node/system-clock.ts'
import { partitionTokens } from '../../ring/tokens.ts'
import { batch, makeSpan, tracesData } from '../../store/testing.ts'
import { startBroker, tempDir, waitFor } from '../helpers/broker.ts'
import type { TestBroker } from '../helpers/broker.ts'

/**
 * The partition reader driven by the ring (`assign` / `revoke`) and the distributor routing by
 * the ring's active partitions, against the embedded broker.
 */
const TOPIC = 'assignment'
const PARTITIONS = 4
const logger = pino({ level: process.env.LIVESTORE_TEST_LOG ?? 'silent' })
const clock = systemClock()

interface Seen { partition: number, offset: number }

/** The store's watermark when every consumed record is durable at once: the next offset. */
function durableWatermarks (): OffsetWatermarks {
  const next = new Map<number, bigint>()
  return {
    consumed: (p, n) => { if ((next.get(p) ?? -1n) < n) next.set(p, n) },
    watermark: (p) => next.get(p),
  }
}

let traceNo = 0
/** A request of `traces` one-span traces with random-looking ids (FNV-1 mixes a trace id's last byte only into the low 8 bits of the token, so sequential ids would share a ring segment). */
function request (traces: number): Buffer {
  const spans = Array.from({ length: traces }, () => makeSpan(createHash('md5').update(String(++traceNo)).digest('hex'), '1', { startTimeUnixNano: BigInt(clock.now()) * 1_000_000n }))
  return encodeTracesProto(tracesData(batch('svc', spans)))
}

async function ownedGauge (metrics: IngestMetrics, partition: number): Promise<number | undefined> {
  const m = await metrics.partitionOwned.get()
  return m.values.find((v) => v.labels.partition === String(partition))?.value
}

describe('partition assignment and ring routing', () => {
  const dir = tempDir('livestore-assignment-')
  let tb: TestBroker
  let conn: KafkaConnection

  const produce = async (partition: number, n: number): Promise<void> => {
    const producer = conn.kafka.producer()
    await producer.connect()
    const messages = Array.from({ length: n }, () => {
      const value = request(1)
      const traceId = splitRequestByTrace(value).traces[0]!.traceId
      return { ...encodeRecord('t', traceId, value), partition }
    })
    await producer.send({ topic: TOPIC, acks: -1, messages })
    await producer.disconnect()
  }

  const newReader = (seen: Seen[], overrides: Partial<PartitionReaderDeps> = {}): { reader: PartitionReader, metrics: IngestMetrics, revoked: number[] } => {
    const metrics = createIngestMetrics(createRegistry({ defaultMetrics: false }))
    const revoked: number[] = []
    const reader = new PartitionReader({
      kafka: () => conn.kafka,
      topic: TOPIC,
      partitions: async () => [],
      offsetsAt: (ts) => conn.offsetsAt(ts),
      endOffsets: () => conn.endOffsets(),
      committedOffsets: (group) => conn.committedOffsets(group),
      hasLocalData: () => true,
      // Commits only on revoke / stop, so what a revoke commits is visible.
      config: { ...defaultsOf(liveStoreIngestSchema), consumer_group: 'zone-a', commit_interval: 60_000 },
      consume: (_tenant, _traces, _ts, source) => { seen.push({ partition: source.partition, offset: Number(source.offset) }) },
      watermarks: durableWatermarks(),
      mustWait: () => false,
      onRevoked: (p) => { revoked.push(p) },
      metrics,
      clock,
      logger,
      ...overrides,
    })
    return { reader, metrics, revoked }
  }

  before(async () => {
    tb = await startBroker({ data_dir: dir.path })
    conn = new KafkaConnection({ config: { ...defaultsOf(kafkaSchema), topic: TOPIC, topic_partitions: PARTITIONS }, brokers: () => [tb.address], logger })
    await conn.start(new AbortController().signal)
    for (let p = 0; p < PARTITIONS; p++) await produce(p, 5)
  })
  after(async () => { await conn?.stop(); await tb?.stop(); dir.remove() })

  it('consumes exactly the assigned partitions, and resumes a revoked one at its committed offset', async () => {
    const seen: Seen[] = []
    const { reader, metrics, revoked } = newReader(seen)
    await reader.start(new AbortController().signal)
    try {
      // Ring mode: started with no partition, it consumes nothing and has nothing to catch up.
      assert.deepEqual(reader.assigned(), [])
      assert.equal(reader.catchUp().done, true)
      await new Promise((resolve) => setTimeout(resolve, 500))
      assert.deepEqual(seen, [])

      await reader.assign(1)
      assert.deepEqual(reader.assigned(), [1])
      assert.equal(await ownedGauge(metrics, 1), 1)
      await waitFor(() => seen.length >= 5, 20_000, 'partition 1 consumed')
      await waitFor(() => reader.catchUp().done, 20_000, 'caught up')
      assert.deepEqual(seen, [0, 1, 2, 3, 4].map((offset) => ({ partition: 1, offset })))
      assert.equal(reader.catchUp().replayed, 5)

      await reader.revoke(1)
      assert.deepEqual(reader.assigned(), [])
      assert.deepEqual(revoked, [1])
      assert.equal(await ownedGauge(metrics, 1), 0)
      assert.equal((await conn.committedOffsets('zone-a-1')).get(1), '5', 'revoke committed the watermark')
      await reader.revoke(1) // idempotent: no second hook call
      assert.deepEqual(revoked, [1])

      await produce(1, 3)
      await new Promise((resolve) => setTimeout(resolve, 500))
      assert.equal(seen.length, 5, 'a revoked partition is not consumed')

      await reader.assign(1)
      await waitFor(() => seen.length >= 8, 20_000, 'partition 1 resumed')
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.deepEqual(seen.slice(5), [5, 6, 7].map((offset) => ({ partition: 1, offset })), 'resumed at the committed offset, nothing delivered twice')
    } finally {
      await reader.stop()
    }
    assert.equal((await conn.committedOffsets('zone-a-1')).get(1), '8', 'stop commits too')
    assert.deepEqual(revoked, [1], 'stop is not a revoke')
  })

  it('serializes assign, revoke and stop of one partition, in call order, and starts assignments made before start', async () => {
    const seen: Seen[] = []
    const { reader, revoked } = newReader(seen)
    const early = reader.assign(3)
    await early
    await reader.start(new AbortController().signal)
    try {
      assert.deepEqual(reader.assigned(), [3], 'assigned before start: consumed from the start on')
      await waitFor(() => seen.length >= 5, 20_000, 'partition 3 consumed')

      // Concurrent calls on one partition run in call order: the last one wins.
      await Promise.all([reader.assign(2), reader.assign(2), reader.revoke(2), reader.assign(2)])
      assert.deepEqual(reader.assigned(), [2, 3])
      await waitFor(() => seen.filter((s) => s.partition === 2).length >= 5, 20_000, 'partition 2 consumed')
      assert.deepEqual(seen.filter((s) => s.partition === 2).map((s) => s.offset), [0, 1, 2, 3, 4], 'one consumer, each record once')
      assert.equal(reader.catchUp().done, true)

      // A revoke racing the stop resolves once the partition stopped; nothing starts after stop.
      await Promise.all([reader.revoke(3), reader.stop(), reader.assign(0)])
      assert.deepEqual(reader.assigned(), [])
      assert.ok(revoked.every((p) => p === 2 || p === 3))
      await reader.assign(0)
      assert.deepEqual(reader.assigned(), [])
    } finally {
      await reader.stop()
    }
    assert.equal((await conn.committedOffsets('zone-a-3')).get(3), '5')
    assert.ok(!seen.some((s) => s.partition === 0), 'partition 0 was never consumed')
  })

  it('says it may be behind while a partition has completed no fetch for FETCH_STALL_MS, and not once fetches go on', async () => {
    // The reader's clock jumps ahead: to it, the last completed fetch is suddenly 10 s old.
    let skew = 0
    const skewed = { ...clock, now: () => clock.now() + skew }
    const { reader } = newReader([], { clock: skewed })
    await reader.start(new AbortController().signal)
    try {
      await reader.assign(2)
      await waitFor(() => reader.catchUp().done, 20_000, 'caught up')
      assert.equal(reader.stalled(), undefined)
      skew = FETCH_STALL_MS + 7_000
      assert.match(reader.stalled() ?? '', /^live-store may be behind: partition 2 not fetched from Kafka for 1\d\.\ds$/)
      await waitFor(() => reader.stalled() === undefined, 5_000, 'the next long-poll completes')
    } finally {
      await reader.stop()
    }
  })

  it('keeps the static partition list working (no ring)', async () => {
    const seen: Seen[] = []
    const { reader } = newReader(seen, { partitions: async () => [0], hasLocalData: () => false })
    await reader.start(new AbortController().signal)
    try {
      assert.deepEqual(reader.assigned(), [0])
      await waitFor(() => seen.length >= 5 && reader.catchUp().done, 20_000, 'partition 0 consumed')
      assert.ok(seen.every((s) => s.partition === 0))
    } finally {
      await reader.stop()
    }
  })

  describe('distributor', () => {
    const distributor = (route?: () => ReturnType<RingRouting['route']> | null): Distributor => new Distributor({
      kafka: () => conn.kafka,
      topic: TOPIC,
      partitionCount: () => conn.partitionCount(),
      ...(route === undefined ? {} : { route }),
      config: defaultsOf(distributorSchema),
      metrics: createIngestMetrics(createRegistry({ defaultMetrics: false })),
      clock,
      logger,
    })
    const ends = async (): Promise<number[]> => {
      const e = await conn.endOffsets()
      return Array.from({ length: PARTITIONS }, (_, p) => Number(e.get(p) ?? '0'))
    }
    const grown = (a: number[], b: number[]): number[] => b.map((n, p) => n - a[p]!)

    it('writes each trace to the active partition the ring routes it to, never elsewhere', async () => {
      let active = [1, 3]
      const routing = new RingRouting({ activePartitions: () => active, tokensOf: (p) => partitionTokens(p) })
      const d = distributor(() => routing.route())
      await d.start(new AbortController().signal)
      try {
        const body = request(40)
        const expected = new Array<number>(PARTITIONS).fill(0)
        for (const t of splitRequestByTrace(body).traces) expected[routing.current().partitionFor('t', t.traceId)]!++
        assert.equal(expected[0]! + expected[2]!, 0)
        assert.ok(expected[1]! > 0 && expected[3]! > 0)
        const before = await ends()
        const res = await d.push('t', body)
        assert.equal(res.acceptedSpans, 40)
        assert.deepEqual(grown(before, await ends()), expected)

        active = []
        const empty = await ends()
        await assert.rejects(d.push('t', request(3)), (err: unknown) => err instanceof UnavailableError && /no active partition in the ring/.test(err.message) && httpStatusOf(err) === 503)
        assert.deepEqual(await ends(), empty, 'nothing written without an active partition')
      } finally {
        await d.stop()
      }
    })

    it('falls back to modulo routing without a ring', async () => {
      const d = distributor(() => null)
      await d.start(new AbortController().signal)
      try {
        const body = request(20)
        const expected = new Array<number>(PARTITIONS).fill(0)
        for (const t of splitRequestByTrace(body).traces) expected[partitionForTrace('t', t.traceId, PARTITIONS)]!++
        const before = await ends()
        await d.push('t', body)
        assert.deepEqual(grown(before, await ends()), expected)
      } finally {
        await d.stop()
      }
    })
  })
})
