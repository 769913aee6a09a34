import type { Kafka } from 'kafkajs'
import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { SplitTrace } from '../common/otlp/index.ts'
import { rateLimitedWarn } from '../common/rate-limited-log.ts'
import { ServiceBase } from '../common/service.ts'
import type { LiveStoreIngestConfig } from './config.ts'
import { partitionGroupId } from './kafka/pinned-partition-assigner.ts'
import type { IngestMetrics } from './metrics.ts'
import { PartitionConsumer } from './partition-consumer.ts'
import type { OffsetWatermarks, PartitionConsumerDeps } from './partition-consumer.ts'

export type { OffsetWatermarks } from './partition-consumer.ts'

export interface PartitionReaderDeps {
  /** The Kafka client (a getter: it exists only once the connection service started). */
  kafka: () => Kafka
  topic: string
  /**
   * The partitions consumed from start on (owned ones, or all of the topic). With a partition
   * ring this is `async () => []`, and the ring drives the reader with `assign` / `revoke`.
   */
  partitions: () => Promise<readonly number[]>
  /** Offsets by record timestamp (ListOffsets), for the lookback. */
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
  /** Called once `revoke` has stopped a partition's consumer (after its final commit); not on stop(). */
  onRevoked?: (partition: number) => void | Promise<void>
  metrics: IngestMetrics
  clock: Clock
  logger: Logger
}

/** How far the replay is (records), for readiness and the progress log. */
export interface CatchUp { done: boolean, replayed: number, remaining: number, lastRecordLagMs: number | undefined }

interface StartPoints { lookback: Map<number, string>, ends: Map<number, string> }

const PROGRESS_LOG_MS = 5000
/** A partition whose last completed fetch is older than this is behind (six 500 ms long-polls). */
export const FETCH_STALL_MS = 3000

/**
 * Consumes the partitions this node owns, one PartitionConsumer each (partition-consumer.ts),
 * and hands every record to the store. The partitions are either fixed at start
 * (`deps.partitions`), or come and go with the partition ring through `assign` / `revoke`. Both
 * are idempotent, and every start, stop, assign and revoke of one partition runs in one queue, in
 * call order, so they never interleave; an `assign` before `start` is consumed from the start.
 *
 * What is committed (every `commit_interval`, after each batch when it is 0, and once more when a
 * partition stops) is the store's durable watermark, not the consumed position: the first offset
 * whose data is not yet fsynced in the WAL. So a partition resumes at the committed offset and
 * replays exactly what a crash could have lost from memory, bounded by a lookback of
 * 2 × complete_block_timeout as in Tempo; without local data of the partition (no blocks on disk,
 * and not consumed by this process before) it replays the whole lookback (Tempo's
 * `forceFromLookback`). Each partition catches up to the log end seen when it started; the
 * progress (records/s, remaining, ETA) is logged until every partition did.
 *
 * Backpressure: while the record's tenant holds more than `max_live_traces_bytes` in memory, the
 * partition waits in 1 s steps (heartbeating, so the group keeps it), as Tempo's poll loop does:
 * Kafka lag grows instead of memory.
 */
export class PartitionReader extends ServiceBase {
  readonly name = 'partition-reader'
  readonly #deps: PartitionReaderDeps
  readonly #warn: ReturnType<typeof rateLimitedWarn>
  /** The partitions to consume: the static ones and every assigned one not revoked since. */
  readonly #wanted = new Set<number>()
  readonly #running = new Map<number, PartitionConsumer>()
  /** Each partition's queue of start/stop steps (the tail, removed once idle). */
  readonly #queues = new Map<number, Promise<void>>()
  /** Partitions this process consumed and committed: the WAL holds their data below the commit. */
  readonly #consumedHere = new Set<number>()
  #consumerDeps: PartitionConsumerDeps | undefined
  #stopping = false
  #opening = 0
  #commitTimer: Timer | undefined
  #progressTimer: Timer | undefined
  #startedAtMs = 0
  #caughtUpAtMs: number | undefined
  #lastRecordMs: number | undefined

  constructor (deps: PartitionReaderDeps) {
    super()
    this.#deps = deps
    this.#warn = rateLimitedWarn(deps.logger, deps.clock)
  }

  /**
   * Starts consuming `partition` (the ring assigned it); resolves once its consumer runs. Before
   * `start` it is only noted (the start consumes it); after `stop` it does nothing.
   */
  assign (partition: number): Promise<void> {
    this.#wanted.add(partition)
    if (this.#consumerDeps === undefined || this.#stopping) return Promise.resolve()
    return this.#enqueue(partition, () => this.#open(partition))
  }

  /** Stops consuming `partition` (final commit, group left, `onRevoked`); resolves once stopped. */
  revoke (partition: number): Promise<void> {
    this.#wanted.delete(partition)
    return this.#enqueue(partition, () => this.#close(partition, true))
  }

  /** The partitions being consumed now, ascending. */
  assigned (): number[] {
    return [...this.#running.keys()].sort((a, b) => a - b)
  }

  protected async doStart (signal: AbortSignal): Promise<void> {
    const { topic, config, clock, logger } = this.#deps
    const kafka = this.#deps.kafka()
    const statics = await this.#deps.partitions()
    signal.throwIfAborted()
    this.#startedAtMs = clock.now()
    for (const p of statics) this.#wanted.add(p)
    // From here on `assign` queues its own start; the ones before are started below.
    this.#consumerDeps = {
      kafka, topic, config, clock, logger,
      consume: this.#deps.consume, watermarks: this.#deps.watermarks, mustWait: this.#deps.mustWait, metrics: this.#deps.metrics,
      warn: this.#warn,
      onRecord: (ts) => { this.#lastRecordMs = ts },
    }
    const first = [...this.#wanted].sort((a, b) => a - b)
    if (first.length > 0) {
      const at = await this.#startPoints()
      for (const p of first) {
        signal.throwIfAborted()
        await this.#enqueue(p, () => this.#open(p, at))
      }
    }
    if (config.commit_interval > 0) this.#commitTimer = clock.setInterval(() => { void this.#commitAll() }, config.commit_interval)
    const from = Object.fromEntries([...this.#running.values()].map((c) => [c.partition, String(c.start)]))
    logger.info({ topic, partitions: this.assigned(), from, records: this.catchUp().remaining }, 'consuming partitions')
    this.#watchProgress()
  }

  protected async doStop (): Promise<void> {
    this.#stopping = true
    this.#progressTimer?.cancel()
    this.#commitTimer?.cancel()
    const partitions = new Set([...this.#running.keys(), ...this.#queues.keys()])
    await Promise.all([...partitions].map((p) => this.#enqueue(p, () => this.#close(p, false))))
  }

  /**
   * The replay's state: done once every partition to consume runs and reached the log end seen
   * when it started (with no partition, done at once).
   */
  catchUp (): CatchUp {
    let replayed = 0
    let remaining = 0
    for (const c of this.#running.values()) {
      const p = c.progress()
      replayed += p.replayed
      remaining += p.remaining
    }
    const allRunning = [...this.#wanted].every((p) => this.#running.has(p))
    const lastRecordLagMs = this.#lastRecordMs === undefined ? undefined : Math.max(0, this.#deps.clock.now() - this.#lastRecordMs)
    return { done: remaining === 0 && this.#opening === 0 && allRunning, replayed, remaining, lastRecordLagMs }
  }

  /**
   * Why this node's data may be behind right now, or undefined: a consumed partition whose last
   * fetch completed more than `FETCH_STALL_MS` ago (cut off from Kafka, say, after a network
   * partition). Unlike the catch-up after a start, this is not readiness (`/ready` stays 200: the
   * node serves, and recovers by itself); answers say it, so a querier prefers another owner.
   */
  stalled (): string | undefined {
    const now = this.#deps.clock.now()
    const late = [...this.#running.values()].filter((c) => now - c.lastFetchAtMs > FETCH_STALL_MS)
    if (late.length === 0) return undefined
    const oldest = Math.max(...late.map((c) => now - c.lastFetchAtMs))
    return `live-store may be behind: partition${late.length === 1 ? '' : 's'} ${late.map((c) => c.partition).sort((a, b) => a - b).join(', ')} not fetched from Kafka for ${(oldest / 1000).toFixed(1)}s`
  }

  /** Runs `step` after every step queued before for `partition`; a failed step fails only its caller. */
  #enqueue (partition: number, step: () => Promise<void>): Promise<void> {
    const run = (this.#queues.get(partition) ?? Promise.resolve()).then(step)
    const tail = run.catch(() => undefined)
    this.#queues.set(partition, tail)
    void tail.then(() => { if (this.#queues.get(partition) === tail) this.#queues.delete(partition) })
    return run
  }

  async #startPoints (): Promise<StartPoints> {
    const lookback = await this.#deps.offsetsAt(this.#deps.clock.now() - 2 * this.#deps.config.complete_block_timeout)
    return { lookback, ends: await this.#deps.endOffsets() }
  }

  /** Starts `partition`'s consumer unless it runs already, is no longer wanted, or the reader stops. */
  async #open (partition: number, at?: StartPoints): Promise<void> {
    const deps = this.#consumerDeps
    if (deps === undefined || this.#stopping || !this.#wanted.has(partition) || this.#running.has(partition)) return
    this.#opening++
    try {
      const points = at ?? await this.#startPoints()
      const start = await this.#startOffset(partition, BigInt(points.lookback.get(partition) ?? '0'))
      if (this.#stopping || !this.#wanted.has(partition)) return
      const consumer = new PartitionConsumer(deps, partition, { ...start, target: BigInt(points.ends.get(partition) ?? '0') })
      await consumer.open()
      this.#running.set(partition, consumer)
      if (at === undefined) this.#deps.logger.info({ partition, from: String(consumer.start), records: consumer.progress().remaining }, 'consuming partition')
    } catch (err) {
      // Not consumed: do not let it hold catch-up back (the ring's next assignment retries).
      this.#wanted.delete(partition)
      throw err
    } finally {
      this.#opening--
    }
    if (at === undefined) this.#watchProgress()
  }

  async #close (partition: number, revoked: boolean): Promise<void> {
    const consumer = this.#running.get(partition)
    if (consumer === undefined) return
    this.#running.delete(partition)
    await consumer.close()
    if (consumer.committed !== undefined) this.#consumedHere.add(partition)
    this.#deps.logger.info({ partition, committed: consumer.committed === undefined ? null : String(consumer.committed), revoked }, 'stopped consuming partition')
    if (!revoked) return
    try {
      await this.#deps.onRevoked?.(partition)
    } catch (err) {
      this.#deps.logger.error({ err, partition }, 'onRevoked hook failed')
    }
  }

  /**
   * Tempo's start offset: the committed offset (the durable watermark), but never older than the
   * lookback; the lookback alone when nothing was committed or no local data backs the commit.
   */
  async #startOffset (partition: number, lookback: bigint): Promise<{ start: bigint, committed: bigint | undefined }> {
    if (!this.#deps.hasLocalData(partition) && !this.#consumedHere.has(partition)) return { start: lookback, committed: undefined }
    const offset = (await this.#deps.committedOffsets(partitionGroupId(this.#deps.config.consumer_group, partition))).get(partition)
    if (offset === undefined || offset === '-1') return { start: lookback, committed: undefined }
    const committed = BigInt(offset)
    return { start: committed > lookback ? committed : lookback, committed }
  }

  async #commitAll (): Promise<void> {
    await Promise.all([...this.#running.values()].map((c) => c.commit()))
  }

  /** Logs records/s, remaining lag and ETA every 5 s until the replay is done. */
  #watchProgress (): void {
    if (this.#progressTimer !== undefined || this.#stopping) return
    const { clock, logger, metrics } = this.#deps
    let last = { at: clock.now(), replayed: this.catchUp().replayed }
    const check = (): void => {
      const c = this.catchUp()
      const now = clock.now()
      if (c.done) {
        this.#progressTimer?.cancel()
        this.#progressTimer = undefined
        if (this.#caughtUpAtMs === undefined) {
          this.#caughtUpAtMs = now
          metrics.catchUpSeconds.set((now - this.#startedAtMs) / 1000)
          logger.info({ records: c.replayed, seconds: (now - this.#startedAtMs) / 1000 }, 'caught up with the log end seen at start')
        } else logger.info({ partitions: this.assigned(), records: c.replayed }, 'caught up with the log end seen at assignment')
        return
      }
      const rate = Math.max(0, c.replayed - last.replayed) / Math.max(0.001, (now - last.at) / 1000)
      last = { at: now, replayed: c.replayed }
      logger.info({ replayed: c.replayed, remaining: c.remaining, recordsPerSecond: Math.round(rate), etaSeconds: rate > 0 ? Math.round(c.remaining / rate) : null }, 'replaying partitions')
    }
    this.#progressTimer = clock.setInterval(check, PROGRESS_LOG_MS)
    if (this.catchUp().done) check()
  }
}
