import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { SplitTrace } from '../common/otlp/index.ts'
import type { LiveStoreIngestConfig } from './config.ts'
import { partitionGroupId, pinnedPartitionAssigner } from './kafka/pinned-partition-assigner.ts'
import type { IngestMetrics, RecordDropReason } from './metrics.ts'
import { decodeRecord } from './record-format.ts'

/** Where the reader learns what it may commit (store/watermarks.ts). */
export interface OffsetWatermarks {
  /** Every record of `partition` below `next` has been handed to the store. */
  consumed (partition: number, next: bigint): void
  /** The lowest offset of `partition` whose data is not durable yet (the offset to commit). */
  watermark (partition: number): bigint | undefined
}

/** What one partition's consumer needs from the reader (the same for every partition). */
export interface PartitionConsumerDeps {
  kafka: Kafka
  topic: string
  config: LiveStoreIngestConfig
  consume: (tenant: string, traces: SplitTrace[], recordTimestampMs: number, source: { partition: number, offset: bigint }) => void
  watermarks: OffsetWatermarks
  mustWait: (tenant: string) => boolean
  metrics: IngestMetrics
  clock: Clock
  logger: Logger
  /** Rate-limited warnings, shared by the reader's partitions. */
  warn: (reason: string, fields: Record<string, unknown>, message: string) => void
  /** Every consumed record's timestamp (the reader's record-time lag). */
  onRecord: (timestampMs: number) => void
}

/**
 * The consumption of one partition: its own consumer group `<consumer_group>-<partition>` with
 * the pinned assigner (kafka/pinned-partition-assigner.ts explains why), started at `start`, and
 * catching up to `target` (the log end when it started). Undecodable and too-old records are
 * dropped, counted and logged (rate-limited); their offsets still advance.
 *
 * `close` first lets the batch in flight stop at the next record, then commits the watermark
 * once more and leaves the group, so whoever consumes next resumes where the data stopped being
 * durable here.
 */
export class PartitionConsumer {
  readonly partition: number
  readonly group: string
  /** Where consumption started, and the log end when it did (the catch-up target). */
  readonly start: bigint
  readonly target: bigint
  /** The next offset to consume (undefined until the first record). */
  next: bigint | undefined
  /** The offset last committed (the group's committed offset when it was known at start). */
  committed: bigint | undefined
  /**
   * When the last fetch from the broker completed (clock ms). Fetches long-poll for at most
   * `maxWaitTimeInMs` (500 ms), so an idle, connected partition completes one at least that
   * often; an old stamp means the consumer is cut off from Kafka or stuck, so what this node
   * holds of the partition may be behind (PartitionReader `stalled`).
   */
  lastFetchAtMs: number
  readonly #deps: PartitionConsumerDeps
  readonly #consumer: Consumer
  #closing = false
  #batch: Promise<void> = Promise.resolve()

  constructor (deps: PartitionConsumerDeps, partition: number, at: { start: bigint, target: bigint, committed: bigint | undefined }) {
    this.#deps = deps
    this.partition = partition
    this.group = partitionGroupId(deps.config.consumer_group, partition)
    this.start = at.start
    this.target = at.target
    this.committed = at.committed
    this.lastFetchAtMs = deps.clock.now()
    // maxBytesPerPartition: kafkajs' 1 MiB default caps a replay at ~one fetch of 1 MiB per round trip.
    this.#consumer = deps.kafka.consumer({ groupId: this.group, partitionAssigners: [pinnedPartitionAssigner(deps.topic, partition)], maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000, maxBytes: 50 * 1024 * 1024, maxBytesPerPartition: 10 * 1024 * 1024 })
  }

  /** Joins the partition's group and starts fetching at `start`. */
  async open (): Promise<void> {
    const { topic, metrics, config } = this.#deps
    try {
      this.#consumer.on(this.#consumer.events.FETCH, () => { this.lastFetchAtMs = this.#deps.clock.now() })
      await this.#consumer.connect()
      await this.#consumer.subscribe({ topic, fromBeginning: true })
      await this.#consumer.run({ autoCommit: false, eachBatch: (payload) => this.#track(this.#onBatch(payload)) })
      this.#consumer.seek({ topic, partition: this.partition, offset: String(this.start) })
    } catch (err) {
      await this.#consumer.disconnect().catch(() => undefined)
      throw err
    }
    metrics.partitionOwned.set({ partition: String(this.partition), zone: config.consumer_group }, 1)
  }

  /** Stops consuming: the batch in flight ends at its next record, a final commit, leave the group. */
  async close (): Promise<void> {
    this.#closing = true
    await this.#batch
    await this.commit()
    await this.#consumer.disconnect().catch((err: unknown) => this.#deps.logger.warn({ err, partition: this.partition }, 'consumer disconnect failed'))
    this.#deps.metrics.partitionOwned.set({ partition: String(this.partition), zone: this.#deps.config.consumer_group }, 0)
  }

  /** Records replayed since the start, and how many remain up to the target. */
  progress (): { replayed: number, remaining: number } {
    const at = this.next ?? this.start
    return { replayed: Number(at - this.start), remaining: at < this.target ? Number(this.target - at) : 0 }
  }

  /** Commits the store's durable watermark when it advanced (a refused commit is retried next time). */
  async commit (): Promise<void> {
    const next = this.#deps.watermarks.watermark(this.partition)
    if (next === undefined || (this.committed !== undefined && next <= this.committed)) return
    try {
      await this.#consumer.commitOffsets([{ topic: this.#deps.topic, partition: this.partition, offset: String(next) }])
      this.committed = next
    } catch (err) {
      // A rebalance (e.g. a standby joined) can refuse the commit; the next one retries.
      this.#deps.logger.warn({ err, partition: this.partition }, 'offset commit failed')
    }
  }

  #track (batch: Promise<void>): Promise<void> {
    this.#batch = batch.catch(() => undefined)
    return batch
  }

  async #onBatch ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { metrics, clock, config } = this.#deps
    const labels = { group: config.consumer_group, partition: String(this.partition) }
    const going = (): boolean => !this.#closing && isRunning() && !isStale()
    for (const message of batch.messages) {
      if (!going()) break
      const timestamp = Number(message.timestamp)
      const record = decodeRecord(message.value, message.headers)
      if (!('error' in record) && this.#deps.mustWait(record.tenant)) {
        await this.#waitForMemory(record.tenant, heartbeat, going)
        if (!going()) break
      }
      const now = clock.now()
      metrics.partitionLagSeconds.set(labels, Math.max(0, (now - timestamp) / 1000))
      const offset = BigInt(message.offset)
      if (timestamp < now - config.complete_block_timeout) this.#drop(record.tenant, 'too_old', message.offset, 'record is older than complete_block_timeout')
      else if ('error' in record) this.#drop(record.tenant, 'decoding_failed', message.offset, record.message)
      else {
        this.#deps.consume(record.tenant, record.traces, timestamp, { partition: this.partition, offset })
        metrics.recordsProcessed.inc({ tenant: record.tenant })
      }
      this.#deps.onRecord(timestamp)
      this.next = offset + 1n
      this.#deps.watermarks.consumed(this.partition, this.next)
      resolveOffset(message.offset)
    }
    if (this.next !== undefined) metrics.partitionLag.set(labels, Math.max(0, Number(BigInt(batch.highWatermark) - (this.committed ?? this.next))))
    if (this.#closing) return
    await heartbeat()
    if (config.commit_interval === 0) await this.commit()
  }

  /** Backpressure: waits in 1 s steps while the tenant is over its memory limit. */
  async #waitForMemory (tenant: string, heartbeat: () => Promise<void>, going: () => boolean): Promise<void> {
    const { clock, metrics, logger } = this.#deps
    this.#deps.warn('backpressure', { tenant }, 'tenant is over live_store.max_live_traces_bytes: consumption waits for the flush')
    while (going() && this.#deps.mustWait(tenant)) {
      await clock.sleep(1000)
      metrics.backPressureSeconds.inc({ reason: 'waiting_for_live_traces' })
      await heartbeat().catch((err: unknown) => logger.debug({ err }, 'heartbeat during backpressure failed'))
    }
  }

  #drop (tenant: string, reason: RecordDropReason, offset: string, why: string): void {
    this.#deps.metrics.recordsDropped.inc({ tenant, reason })
    this.#deps.warn(reason, { tenant, partition: this.partition, offset }, `dropping record: ${why}`)
  }
}
