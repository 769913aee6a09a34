import type { Registry } from 'prom-client'
import type { Clock } from '../common/clock.ts'
import { combineTraces, encodeTracesProto, splitRequestByTrace } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import type { OverridesConfig } from './config.ts'
import { createStoreMetrics } from './metrics.ts'
import type { StoreMetrics } from './metrics.ts'
import { TenantInstance } from './tenant-instance.ts'
import type { PushResult, TraceFragment } from './tenant-instance.ts'
import type { RecordSource } from './live-traces.ts'
import type { MemoryTraceRef, TracePiece } from './search-source.ts'
import { PartitionWatermarks } from './watermarks.ts'

/** Where traces live once they left memory (the WAL's blocks, wal/block-store.ts). */
export interface FlushedTraces {
  findTrace (tenant: string, traceId: Buffer): Promise<readonly TracesData[]>
}

export interface TraceStoreOptions {
  /** Read at every push, so replacing the object's values takes effect at once. */
  limits: OverridesConfig
  clock: Clock
  registry: Registry
  /** The blocks findTrace also reads (none: memory only). */
  flushed?: FlushedTraces
}

/**
 * The live traces of every tenant (Tempo's `LiveStore` instances map), one `TenantInstance` per
 * tenant created on first push. It knows nothing of partitions, Kafka or HTTP; a tenant's data is
 * only ever reachable through that tenant's id.
 */
export class TraceStore {
  readonly #instances = new Map<string, TenantInstance>()
  readonly #limits: OverridesConfig
  readonly #clock: Clock
  readonly #metrics: StoreMetrics
  readonly #flushed: FlushedTraces | undefined
  /** The durable offset watermark of every partition consumed into this store. */
  readonly watermarks = new PartitionWatermarks()

  constructor (opts: TraceStoreOptions) {
    this.#limits = opts.limits
    this.#clock = opts.clock
    this.#metrics = createStoreMetrics(opts.registry)
    this.#flushed = opts.flushed
  }

  /**
   * Appends the per-trace fragments of one record (ingest/ splits and validates it) to the
   * tenant's live traces, refusing what the limits do not allow (counted in
   * `tempo_discarded_spans_total`). Never throws on a limit and never waits. `receivedAtMs` (the
   * Kafka record time, as in Tempo) defaults to the clock. `source` (the record's partition and
   * offset) lets the store hold that offset back from commits until the data is durable.
   */
  pushTraces (tenant: string, fragments: readonly TraceFragment[], receivedAtMs: number = this.#clock.now(), source?: RecordSource): PushResult {
    return this.getOrCreateInstance(tenant).push(fragments, receivedAtMs, this.#limits, source)
  }

  /** The same for a decoded request (tests and tools): encoded, then split by trace. */
  push (tenant: string, data: TracesData, receivedAtMs: number = this.#clock.now(), source?: RecordSource): PushResult {
    return this.pushTraces(tenant, splitRequestByTrace(encodeTracesProto(data)).traces, receivedAtMs, source)
  }

  /** The tenant's live trace with this id (its fragments in arrival order), or null. */
  findLiveTrace (tenant: string, traceId: Buffer): TracesData | null {
    return this.#instances.get(tenant)?.findTraceById(traceId) ?? null
  }

  /**
   * The whole trace as this node holds it: memory (live and being flushed) and every block,
   * merged into one, each (span id, kind) once (common/otlp/combine.ts).
   */
  async findTraceById (tenant: string, traceId: Buffer): Promise<TracesData | null> {
    const live = this.findLiveTrace(tenant, traceId)
    const blocks = this.#flushed === undefined ? [] : await this.#flushed.findTrace(tenant, traceId)
    return combineTraces([live, ...blocks])
  }

  /**
   * For search: references to the tenant's traces in memory (live, newest created first, then
   * those being flushed), one per trace id, decoded only on demand (search-source.ts).
   */
  liveTraceRefs (tenant: string): MemoryTraceRef[] {
    return this.#instances.get(tenant)?.searchRefs() ?? []
  }

  /** The tenant's traces in memory as decoded pieces, in liveTraceRefs order, each decoded when reached. */
  * searchLiveTraces (tenant: string, signal?: AbortSignal): Generator<TracePiece> {
    for (const ref of this.liveTraceRefs(tenant)) {
      signal?.throwIfAborted()
      yield { traceId: ref.traceId, trace: ref.decode() }
    }
  }

  getOrCreateInstance (tenant: string): TenantInstance {
    let inst = this.#instances.get(tenant)
    if (inst === undefined) {
      inst = new TenantInstance({ tenant, metrics: this.#metrics, watermarks: this.watermarks })
      this.#instances.set(tenant, inst)
    }
    return inst
  }

  instance (tenant: string): TenantInstance | undefined { return this.#instances.get(tenant) }

  tenants (): string[] { return [...this.#instances.keys()] }
}
