import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { SplitTrace } from '../common/otlp/index.ts'
import { rateLimitedWarn } from '../common/rate-limited-log.ts'
import { ServiceBase } from '../common/service.ts'
import type { LiveStoreIngestConfig } from './config.ts'
import { partitionGroupId, pinnedPartitionAssigner } from './kafka/pinned-partition-assigner.ts'
import type { IngestMetrics, RecordDropReason } from './metrics.ts'
import { decodeRecord } from './record-format.ts'

export interface PartitionReaderDeps {
  /** The Kafka client (a getter: it exists only once the connection service started). */
  kafka: () => Kafka
  topic: string
  /** The partitions to consume, resolved at start (owned ones, or all of the topic). */
  partitions: () => Promise<readonly number[]>
  /** Offsets by record timestamp (ListOffsets), for the start-up lookback. */
  offsetsAt: (timestampMs: number) => Promise<Map<number, string>>
  config: LiveStoreIngestConfig
  /** Hands one record's traces to the store (Tempo's `consume`), with the record's timestamp. */
  consume: (tenant: string, traces: SplitTrace[], recordTimestampMs: number) => void
  metrics: IngestMetrics
  clock: Clock
  logger: Logger
}

interface PartitionState { partition: number, consumer: Consumer, group: string, next: bigint | undefined, committed: bigint | undefined }

/**
 * Consumes the partitions this node owns, each through its own consumer group with a pinned
 * assigner (ingest/kafka/pinned-partition-assigner.ts explains why), and hands every record to
 * the store. Undecodable and too-old records are dropped, counted and logged (rate-limited), and
 * their offsets still advance. Offsets are committed manually every `commit_interval` (or after
 * each batch when it is 0) and once more on stop.
 */
export class PartitionReader extends ServiceBase {
  readonly name = 'partition-reader'
  readonly #deps: PartitionReaderDeps
  readonly #states: PartitionState[] = []
  readonly #warn: ReturnType<typeof rateLimitedWarn>
  #commitTimer: Timer | undefined
  #partitions: readonly number[] = []

  constructor (deps: PartitionReaderDeps) {
    super()
    this.#deps = deps
    this.#warn = rateLimitedWarn(deps.logger, deps.clock)
  }

  protected async doStart (signal: AbortSignal): Promise<void> {
    const { topic, config, metrics } = this.#deps
    const kafka = this.#deps.kafka()
    this.#partitions = await this.#deps.partitions()
    // Nothing is kept locally yet (the WAL comes later), so like Tempo's `forceFromLookback` a
    // starting node replays the last 2 × complete_block_timeout instead of resuming at the
    // committed offset: a restart refills memory with the recent traces instead of losing them.
    const lookback = await this.#deps.offsetsAt(this.#deps.clock.now() - 2 * config.complete_block_timeout)
    for (const partition of this.#partitions) {
      signal.throwIfAborted()
      const group = partitionGroupId(config.consumer_group, partition)
      const consumer = kafka.consumer({ groupId: group, partitionAssigners: [pinnedPartitionAssigner(topic, partition)], maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000, maxBytes: 50 * 1024 * 1024 })
      const state: PartitionState = { partition, consumer, group, next: undefined, committed: undefined }
      this.#states.push(state)
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({ autoCommit: false, eachBatch: (payload) => this.#onBatch(state, payload) })
      const from = lookback.get(partition)
      if (from !== undefined) consumer.seek({ topic, partition, offset: from })
      metrics.partitionOwned.set({ partition: String(partition), zone: config.consumer_group }, 1)
    }
    if (config.commit_interval > 0) this.#commitTimer = this.#deps.clock.setInterval(() => { void this.#commitAll() }, config.commit_interval)
    this.#deps.logger.info({ topic, partitions: this.#partitions }, 'consuming partitions')
  }

  protected async doStop (): Promise<void> {
    this.#commitTimer?.cancel()
    await this.#commitAll()
    await Promise.all(this.#states.map(async (s) => {
      await s.consumer.disconnect().catch((err: unknown) => this.#deps.logger.warn({ err, partition: s.partition }, 'consumer disconnect failed'))
      this.#deps.metrics.partitionOwned.set({ partition: String(s.partition), zone: this.#deps.config.consumer_group }, 0)
    }))
  }

  async #onBatch (state: PartitionState, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { metrics, clock, config } = this.#deps
    const labels = { group: config.consumer_group, partition: String(state.partition) }
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break
      const timestamp = Number(message.timestamp)
      const now = clock.now()
      metrics.partitionLagSeconds.set(labels, Math.max(0, (now - timestamp) / 1000))
      const record = decodeRecord(message.value, message.headers)
      if (timestamp < now - config.complete_block_timeout) this.#drop(record.tenant, 'too_old', state, message.offset, 'record is older than complete_block_timeout')
      else if ('error' in record) this.#drop(record.tenant, 'decoding_failed', state, message.offset, record.message)
      else {
        this.#deps.consume(record.tenant, record.traces, timestamp)
        metrics.recordsProcessed.inc({ tenant: record.tenant })
      }
      state.next = BigInt(message.offset) + 1n
      resolveOffset(message.offset)
    }
    if (state.next !== undefined) metrics.partitionLag.set(labels, Math.max(0, Number(BigInt(batch.highWatermark) - (state.committed ?? state.next))))
    await heartbeat()
    if (config.commit_interval === 0) await this.#commit(state)
  }

  #drop (tenant: string, reason: RecordDropReason, state: PartitionState, offset: string, why: string): void {
    this.#deps.metrics.recordsDropped.inc({ tenant, reason })
    this.#warn(reason, { tenant, partition: state.partition, offset }, `dropping record: ${why}`)
  }

  async #commitAll (): Promise<void> {
    await Promise.all(this.#states.map((s) => this.#commit(s)))
  }

  async #commit (state: PartitionState): Promise<void> {
    const next = state.next
    if (next === undefined || next === state.committed) return
    try {
      await state.consumer.commitOffsets([{ topic: this.#deps.topic, partition: state.partition, offset: String(next) }])
      state.committed = next
    } catch (err) {
      // A rebalance (e.g. a standby joined) can refuse the commit; the next one retries.
      this.#deps.logger.warn({ err, partition: state.partition }, 'offset commit failed')
    }
  }
}
