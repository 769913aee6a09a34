import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import { ServiceBase } from '../common/service.ts'
import type { LiveTracesConfig } from './config.ts'
import type { LiveTrace } from './live-traces.ts'
import type { TraceStore } from './store.ts'

/** One trace cut from memory, as the head block takes it (wal/cut-trace.ts has the same shape). */
export interface CutTraceInput {
  traceId: Buffer
  fragments: readonly Buffer[]
  createdAtMs: number
  lastAppendMs: number
}

/** What a flush reports: counts per `tempo_warnings_total` reason (wal/data-quality.ts). */
export interface FlushReport { warnings: Readonly<Record<string, number>> }

/** Where cut traces go: the head blocks of the WAL (wal/block-store.ts implements it). */
export interface HeadBlocks {
  /** Appends the traces to the (tenant, partition) head block; resolves once they are fsynced. */
  flush (tenant: string, partition: number, traces: readonly CutTraceInput[], offsets: { first: bigint, last: bigint }): Promise<FlushReport>
  /** Cuts head blocks that are old or big enough (all of them when `immediate`) into WAL blocks. */
  cutBlocks (immediate: boolean): Promise<void>
}

export interface TraceFlusherDeps {
  store: TraceStore
  blocks: HeadBlocks
  config: LiveTracesConfig
  clock: Clock
  logger: Logger
}

/**
 * Tempo's per-tenant cut-to-WAL loop (`cutOneInstanceToWal`): every `flush_check_period`, the
 * traces idle for `max_trace_idle` or live for `max_trace_live` leave memory for their
 * partition's head block, then head blocks are cut into WAL blocks by age or size. Once a flush
 * is fsynced its traces turn durable, which lets the partition's offset watermark (and so the
 * committed Kafka offset) move past their records. A failed flush keeps the traces readable in
 * memory and retries them at the next tick; the watermark waits for them.
 *
 * On stop, everything still in memory is flushed and every head block is cut (Tempo's
 * `cutAllInstancesToWal(immediate)`), so a clean shutdown leaves nothing to replay.
 */
export class TraceFlusher extends ServiceBase {
  readonly name = 'trace-flusher'
  readonly #deps: TraceFlusherDeps
  #timer: Timer | undefined
  #running: Promise<void> | undefined

  constructor (deps: TraceFlusherDeps) {
    super()
    this.#deps = deps
  }

  protected async doStart (): Promise<void> {
    this.#timer = this.#deps.clock.setInterval(() => { void this.tick(false) }, this.#deps.config.flush_check_period)
  }

  protected async doStop (): Promise<void> {
    this.#timer?.cancel()
    await this.#running
    await this.tick(true)
  }

  /**
   * One pass of the loop (`immediate`: cut every trace and every head block). A tick that finds
   * the previous one still running waits for it instead of overlapping it.
   */
  async tick (immediate: boolean): Promise<void> {
    while (this.#running !== undefined) await this.#running
    const run = this.#tick(immediate)
    this.#running = run
    try {
      await run
    } finally {
      this.#running = undefined
    }
  }

  async #tick (immediate: boolean): Promise<void> {
    const { store, blocks, config, clock, logger } = this.#deps
    for (const tenant of store.tenants()) {
      const inst = store.instance(tenant)
      if (inst === undefined) continue
      const cut = inst.cut(clock.now(), config, immediate)
      // Partitions flush side by side: each encodes on its own worker of the pool (the block
      // store serializes work per partition only), so one busy partition does not idle the rest.
      await Promise.all([...byPartition(cut)].map(async ([partition, traces]) => {
        try {
          const report = await blocks.flush(tenant, partition, traces.map(toCutTrace), offsetRange(traces))
          inst.flushed(traces, true, report.warnings)
        } catch (err) {
          logger.error({ err, tenant, partition, traces: traces.length }, 'flush to the WAL failed; the traces stay in memory and are retried at the next tick')
          inst.flushed(traces, false)
        }
      }))
    }
    try {
      await blocks.cutBlocks(immediate)
    } catch (err) {
      logger.error({ err }, 'cutting head blocks failed; retried at the next tick')
    }
  }
}

function byPartition (traces: readonly LiveTrace[]): Map<number, LiveTrace[]> {
  const out = new Map<number, LiveTrace[]>()
  for (const t of traces) {
    const list = out.get(t.partition)
    if (list === undefined) out.set(t.partition, [t])
    else list.push(t)
  }
  return out
}

function toCutTrace (t: LiveTrace): CutTraceInput {
  return { traceId: t.id, fragments: t.fragments, createdAtMs: t.createdAtMs, lastAppendMs: t.lastAppendMs }
}

/** The Kafka offsets the traces came from, for the segment's meta (0..0 when pushed without a source). */
function offsetRange (traces: readonly LiveTrace[]): { first: bigint, last: bigint } {
  let first = -1n
  let last = -1n
  for (const t of traces) {
    if (t.firstOffset >= 0n && (first < 0n || t.firstOffset < first)) first = t.firstOffset
    if (t.lastOffset > last) last = t.lastOffset
  }
  return first < 0n ? { first: 0n, last: 0n } : { first, last }
}
