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

/** Where the reader learns what it may commit (store/watermarks.ts). */
export interface OffsetWatermarks {
  /** Every record of `partition` below `next` has been handed to the store. */
  consumed (partition: number, next: bigint): void
  /** The lowest offset of `partition` whose data is not durable yet (the offset to commit). */
  watermark (partition: number): bigint | undefined
}

export interface PartitionReaderDeps {
  /** The Kafka client (a getter: it exists only once the connection service started). */
  kafka: () => Kafka
  topic: string
  /** The partitions to consume, resolved at start (owned ones, or all of the topic). */
  partitions: () => Promise<readonly number[]>
  /** Offsets by record timestamp (ListOffsets), for the start-up lookback. */
  offsetsAt: (timestampMs: number) => Promise<Map<number, string>>
  /** The log end offsets, the catch-up target. */
  endOffsets: () => Promise<Map<number, string>>
  /** The group's committed offsets by partition. */
  committedOffsets: (groupId: string) => Promise<Map<number, string>>
  /** True when the node holds blocks of the partition on disk (else it replays the lookback). */
  hasLocalData: (partition: number) => boolean
  config: LiveStoreIngestConfig
  /** Hands one record's traces to the store (Tempo's `consume`), with its time and position. */
  consume: (tenant: string, traces: SplitTrace[], recordTimestampMs: number, source: { partition: number, offset: bigint }) => void
  watermarks: OffsetWatermarks
  /** True while the tenant holds too much in memory: consumption waits (backpressure). */
  mustWait: (tenant: string) => boolean
  metrics: IngestMetrics
  clock: Clock
  logger: Logger
}

interface PartitionState {
  partition: number
  consumer: Consumer
  group: string
  /** Where consumption started, and the log end when it did (the catch-up target). */
  start: bigint
  endAtStart: bigint
  next: bigint | undefined
  committed: bigint | undefined
}

/** How far the start-up replay is (records), for readiness and the progress log. */
export interface CatchUp { done: boolean, replayed: number, remaining: number, lastRecordLagMs: number | undefined }

const PROGRESS_LOG_MS = 5000

/**
 * Consumes the partitions this node owns, each through its own consumer group with a pinned
 * assigner (ingest/kafka/pinned-partition-assigner.ts explains why), and hands every record to
 * the store. Undecodable and too-old records are dropped, counted and logged (rate-limited), and
 * their offsets still advance.
 *
 * What is committed (every `commit_interval`, after each batch when it is 0, and once more on
 * stop) is the store's durable watermark, not the consumed position: the first offset whose data
 * is not yet fsynced in the WAL. So a start resumes at the committed offset and replays exactly
 * what a crash could have lost from memory, bounded by a lookback of 2 × complete_block_timeout
 * as in Tempo; a node without local blocks of a partition replays the whole lookback (Tempo's
 * `forceFromLookback`). The replay's progress (records/s, remaining lag, ETA) is logged until it
 * reaches the log end seen at start.
 *
 * Backpressure: while the record's tenant holds more than `max_live_traces_bytes` in memory, the
 * partition waits in 1 s steps (heartbeating, so the group keeps it), as Tempo's poll loop does:
 * Kafka lag grows instead of memory.
 */
export class PartitionReader extends ServiceBase {
  readonly name = 'partition-reader'
  readonly #deps: PartitionReaderDeps
  readonly #states: PartitionState[] = []
  readonly #warn: ReturnType<typeof rateLimitedWarn>
  #commitTimer: Timer | undefined
  #progressTimer: Timer | undefined
  #partitions: readonly number[] = []
  #startedAtMs = 0
  #caughtUpAtMs: number | undefined
  #lastRecordMs: number | undefined

  constructor (deps: PartitionReaderDeps) {
    super()
    this.#deps = deps
    this.#warn = rateLimitedWarn(deps.logger, deps.clock)
  }

  protected async doStart (signal: AbortSignal): Promise<void> {
    const { topic, config, metrics } = this.#deps
    const kafka = this.#deps.kafka()
    this.#partitions = await this.#deps.partitions()
    this.#startedAtMs = this.#deps.clock.now()
    const lookback = await this.#deps.offsetsAt(this.#startedAtMs - 2 * config.complete_block_timeout)
    const ends = await this.#deps.endOffsets()
    const starts: Record<number, string> = {}
    for (const partition of this.#partitions) {
      signal.throwIfAborted()
      const group = partitionGroupId(config.consumer_group, partition)
      const start = await this.#startOffset(partition, group, BigInt(lookback.get(partition) ?? '0'))
      const consumer = kafka.consumer({ groupId: group, partitionAssigners: [pinnedPartitionAssigner(topic, partition)], maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000, maxBytes: 50 * 1024 * 1024 })
      const state: PartitionState = { partition, consumer, group, start, endAtStart: BigInt(ends.get(partition) ?? '0'), next: undefined, committed: undefined }
      this.#states.push(state)
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({ autoCommit: false, eachBatch: (payload) => this.#onBatch(state, payload) })
      consumer.seek({ topic, partition, offset: String(start) })
      starts[partition] = String(start)
      metrics.partitionOwned.set({ partition: String(partition), zone: config.consumer_group }, 1)
    }
    if (config.commit_interval > 0) this.#commitTimer = this.#deps.clock.setInterval(() => { void this.#commitAll() }, config.commit_interval)
    this.#deps.logger.info({ topic, partitions: this.#partitions, from: starts, records: this.catchUp().remaining }, 'consuming partitions')
    this.#logProgress()
  }

  /**
   * Tempo's start offset: the committed offset (the durable watermark), but never older than the
   * lookback; the lookback alone when nothing was committed or no local data backs the commit.
   */
  async #startOffset (partition: number, group: string, lookback: bigint): Promise<bigint> {
    if (!this.#deps.hasLocalData(partition)) return lookback
    const committed = (await this.#deps.committedOffsets(group)).get(partition)
    if (committed === undefined || committed === '-1') return lookback
    const c = BigInt(committed)
    return c > lookback ? c : lookback
  }

  /** The start-up replay's state: done once every partition reached the log end seen at start. */
  catchUp (): CatchUp {
    let replayed = 0
    let remaining = 0
    for (const s of this.#states) {
      const at = s.next ?? s.start
      replayed += Number(at - s.start)
      if (at < s.endAtStart) remaining += Number(s.endAtStart - at)
    }
    const lastRecordLagMs = this.#lastRecordMs === undefined ? undefined : Math.max(0, this.#deps.clock.now() - this.#lastRecordMs)
    return { done: remaining === 0 && this.#states.length === this.#partitions.length, replayed, remaining, lastRecordLagMs }
  }

  /** Logs records/s, remaining lag and ETA every 5 s until the replay is done. */
  #logProgress (): void {
    const { clock, logger, metrics } = this.#deps
    let last = { at: clock.now(), replayed: 0 }
    const check = (): void => {
      const c = this.catchUp()
      const now = clock.now()
      if (c.done) {
        this.#progressTimer?.cancel()
        if (this.#caughtUpAtMs === undefined) {
          this.#caughtUpAtMs = now
          metrics.catchUpSeconds.set((now - this.#startedAtMs) / 1000)
          logger.info({ records: c.replayed, seconds: (now - this.#startedAtMs) / 1000 }, 'caught up with the log end seen at start')
        }
        return
      }
      const rate = (c.replayed - last.replayed) / Math.max(0.001, (now - last.at) / 1000)
      last = { at: now, replayed: c.replayed }
      logger.info({ replayed: c.replayed, remaining: c.remaining, recordsPerSecond: Math.round(rate), etaSeconds: rate > 0 ? Math.round(c.remaining / rate) : null }, 'replaying partitions')
    }
    this.#progressTimer = clock.setInterval(check, PROGRESS_LOG_MS)
    if (this.catchUp().done) check()
  }

  protected async doStop (): Promise<void> {
    this.#progressTimer?.cancel()
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
      const record = decodeRecord(message.value, message.headers)
      if (!('error' in record) && this.#deps.mustWait(record.tenant)) {
        await this.#waitForMemory(record.tenant, heartbeat, isRunning)
        if (!isRunning() || isStale()) break
      }
      const now = clock.now()
      metrics.partitionLagSeconds.set(labels, Math.max(0, (now - timestamp) / 1000))
      const offset = BigInt(message.offset)
      if (timestamp < now - config.complete_block_timeout) this.#drop(record.tenant, 'too_old', state, message.offset, 'record is older than complete_block_timeout')
      else if ('error' in record) this.#drop(record.tenant, 'decoding_failed', state, message.offset, record.message)
      else {
        this.#deps.consume(record.tenant, record.traces, timestamp, { partition: state.partition, offset })
        metrics.recordsProcessed.inc({ tenant: record.tenant })
      }
      this.#lastRecordMs = timestamp
      state.next = offset + 1n
      this.#deps.watermarks.consumed(state.partition, state.next)
      resolveOffset(message.offset)
    }
    if (state.next !== undefined) metrics.partitionLag.set(labels, Math.max(0, Number(BigInt(batch.highWatermark) - (state.committed ?? state.next))))
    await heartbeat()
    if (config.commit_interval === 0) await this.#commit(state)
  }

  /** Backpressure: waits in 1 s steps while the tenant is over its memory limit. */
  async #waitForMemory (tenant: string, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    const { clock, metrics, logger } = this.#deps
    this.#warn('backpressure', { tenant }, 'tenant is over live_store.max_live_traces_bytes: consumption waits for the flush')
    while (isRunning() && this.#deps.mustWait(tenant)) {
      await clock.sleep(1000)
      metrics.backPressureSeconds.inc({ reason: 'waiting_for_live_traces' })
      await heartbeat().catch((err: unknown) => logger.debug({ err }, 'heartbeat during backpressure failed'))
    }
  }

  #drop (tenant: string, reason: RecordDropReason, state: PartitionState, offset: string, why: string): void {
    this.#deps.metrics.recordsDropped.inc({ tenant, reason })
    this.#warn(reason, { tenant, partition: state.partition, offset }, `dropping record: ${why}`)
  }

  async #commitAll (): Promise<void> {
    await Promise.all(this.#states.map((s) => this.#commit(s)))
  }

  async #commit (state: PartitionState): Promise<void> {
    const next = this.#deps.watermarks.watermark(state.partition)
    if (next === undefined || (state.committed !== undefined && next <= state.committed)) return
    try {
      await state.consumer.commitOffsets([{ topic: this.#deps.topic, partition: state.partition, offset: String(next) }])
      state.committed = next
    } catch (err) {
      // A rebalance (e.g. a standby joined) can refuse the commit; the next one retries.
      this.#deps.logger.warn({ err, partition: state.partition }, 'offset commit failed')
    }
  }
}
