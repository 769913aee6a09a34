import { decodeTracesProto, mergeTraces } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import type { OverridesConfig } from './config.ts'
import { LiveTraces } from './live-traces.ts'
import type { LiveTrace, RecordSource } from './live-traces.ts'
import { DiscardReason } from './metrics.ts'
import type { StoreMetrics } from './metrics.ts'
import { memoryTraceRef } from './search-source.ts'
import type { MemoryTraceRef } from './search-source.ts'
import { TraceSizes } from './trace-sizes.ts'
import type { PartitionWatermarks } from './watermarks.ts'

/** What one push did: spans kept, and spans refused by each limit. */
export interface PushResult {
  accepted: number
  refused: { live_traces_exceeded: number, trace_too_large: number }
}

export function emptyPushResult (): PushResult {
  return { accepted: 0, refused: { live_traces_exceeded: 0, trace_too_large: 0 } }
}

/** One trace's part of a request: its ExportTraceServiceRequest bytes and span count. */
export interface TraceFragment {
  traceId: Buffer
  spanCount: number
  request: Buffer
}

export interface TenantInstanceOptions {
  tenant: string
  metrics: StoreMetrics
  /** Where traces register the records they keep in memory (store/watermarks.ts). */
  watermarks: PartitionWatermarks
}

/** When the cut takes a trace out of memory (live_store.max_trace_idle / max_trace_live). */
export interface CutPolicy { max_trace_idle: number, max_trace_live: number }

/**
 * One tenant's live traces (Tempo's live-store `instance`). Pushes never throw and never wait on
 * a limit: refused spans are counted and reported in the result, the rest is kept.
 *
 * Limits work per fragment, as Tempo's `pushBytes` does per trace of a push: a fragment of a new
 * trace is refused when the tenant already holds `max_traces_per_user` traces (live traces keep
 * growing), and a fragment that would take its trace past `max_bytes_per_trace` is refused, as
 * is everything after it for that trace (the byte total is sticky, see trace-sizes.ts).
 */
export class TenantInstance {
  readonly tenant: string
  readonly #live = new LiveTraces()
  readonly #sizes = new TraceSizes()
  readonly #metrics: StoreMetrics
  readonly #watermarks: PartitionWatermarks
  /** Traces cut from memory whose flush has not completed yet: still readable from here. */
  readonly #flushing = new Map<string, LiveTrace[]>()
  #flushingBytes = 0
  /** Traces whose flush failed, handed out again by the next cut. */
  #retry: LiveTrace[] = []

  constructor (opts: TenantInstanceOptions) {
    this.tenant = opts.tenant
    this.#metrics = opts.metrics
    this.#watermarks = opts.watermarks
    this.#updateGauges()
  }

  /** Live traces held. */
  get liveTraces (): number { return this.#live.size }
  /** Protobuf bytes held in memory: live traces and those being flushed (for backpressure). */
  get liveBytes (): number { return this.#live.bytes + this.#flushingBytes }
  /** Spans held. */
  get liveSpans (): number { return this.#live.spans }

  /** The live traces, for the idle/max-live cut; LiveTrace objects are read-only outside. */
  traces (): IterableIterator<LiveTrace> { return this.#live.values() }

  push (fragments: readonly TraceFragment[], nowMs: number, limits: OverridesConfig, source?: RecordSource): PushResult {
    const result = emptyPushResult()
    for (const f of fragments) this.#pushFragment(f, nowMs, limits, result, source)
    const tenant = this.tenant
    if (result.refused.live_traces_exceeded > 0) this.#metrics.discardedSpans.inc({ reason: DiscardReason.liveTracesExceeded, tenant }, result.refused.live_traces_exceeded)
    if (result.refused.trace_too_large > 0) this.#metrics.discardedSpans.inc({ reason: DiscardReason.traceTooLarge, tenant }, result.refused.trace_too_large)
    this.#updateGauges()
    return result
  }

  /**
   * The trace's fragments decoded and merged into one TracesData (batches with equal resources,
   * and scopes with equal scopes, joined; spans in arrival order), or null.
   */
  findTraceById (traceId: Buffer): TracesData | null {
    const key = traceId.toString('hex')
    const segments = [...(this.#flushing.get(key) ?? [])]
    const live = this.#live.get(key)
    if (live !== undefined) segments.push(live)
    return segments.length === 0 ? null : mergeTraces(segments.flatMap((t) => t.fragments.map((f) => decodeTracesProto(f))))
  }

  /**
   * For search: every trace held in memory, once per trace id, live traces newest created first,
   * then those being flushed (older: already cut). Only references are taken; nothing is decoded.
   */
  searchRefs (): MemoryTraceRef[] {
    const out: MemoryTraceRef[] = []
    const live = [...this.#live.values()]
    for (let i = live.length - 1; i >= 0; i--) {
      const t = live[i]!
      const flushing = this.#flushing.get(t.key)
      out.push(memoryTraceRef(flushing === undefined ? [t] : [...flushing, t]))
    }
    for (const [key, segments] of this.#flushing) {
      if (segments.length > 0 && this.#live.get(key) === undefined) out.push(memoryTraceRef([...segments]))
    }
    return out
  }

  /**
   * Tempo's cutIdleTraces: takes out of memory the traces idle for `max_trace_idle` or live for
   * `max_trace_live` (record times against `nowMs`), or all of them when `all`, plus any whose
   * earlier flush failed. They stay readable here until `flushed` is called for them; the caller
   * writes them to the head block. Also drops trace-size entries untouched for `max_trace_live`
   * (Tempo clears them at each block cut): the byte limit is on a trace's recent life.
   */
  cut (nowMs: number, policy: CutPolicy, all: boolean): LiveTrace[] {
    const cut = this.#live.cut(nowMs - policy.max_trace_idle, nowMs - policy.max_trace_live, all)
    for (const t of cut) {
      let list = this.#flushing.get(t.key)
      if (list === undefined) this.#flushing.set(t.key, list = [])
      list.push(t)
      this.#flushingBytes += t.bytes
    }
    this.#sizes.pruneIdle(nowMs - policy.max_trace_live)
    const out = this.#retry.length === 0 ? cut : [...this.#retry, ...cut]
    this.#retry = []
    this.#updateGauges()
    return out
  }

  /**
   * The flush of `traces` (from `cut`) ended: durable (their records may be committed), with the
   * data-quality warnings the head block found, or failed (retried by the next cut).
   */
  flushed (traces: readonly LiveTrace[], ok: boolean, warnings: Readonly<Record<string, number>> = {}): void {
    if (!ok) {
      this.#retry.push(...traces)
      return
    }
    for (const t of traces) {
      t.durable = true
      const list = this.#flushing.get(t.key)
      const i = list?.indexOf(t) ?? -1
      if (list === undefined || i < 0) continue
      list.splice(i, 1)
      if (list.length === 0) this.#flushing.delete(t.key)
      this.#flushingBytes -= t.bytes
    }
    this.#metrics.tracesCreated.inc({ tenant: this.tenant }, traces.length)
    for (const [reason, n] of Object.entries(warnings)) if (n > 0) this.#metrics.warnings.inc({ tenant: this.tenant, reason }, n)
    this.#updateGauges()
  }

  #pushFragment (f: TraceFragment, nowMs: number, limits: OverridesConfig, result: PushResult, source: RecordSource | undefined): void {
    const key = f.traceId.toString('hex')
    let trace = this.#live.get(key)
    if (trace === undefined && limits.max_traces_per_user > 0 && this.#live.size >= limits.max_traces_per_user) {
      result.refused.live_traces_exceeded += f.spanCount
      return
    }
    if (!this.#sizes.allow(key, f.request.length, limits.max_bytes_per_trace, nowMs)) {
      result.refused.trace_too_large += f.spanCount
      return
    }
    if (trace === undefined) {
      trace = this.#live.create(Buffer.from(f.traceId), key, nowMs, source)
      if (source !== undefined) this.#watermarks.hold(source.partition, source.offset, trace)
    } else if (source !== undefined && source.partition !== trace.partition && trace.otherPartitions?.has(source.partition) !== true) {
      (trace.otherPartitions ??= new Set()).add(source.partition)
      this.#watermarks.hold(source.partition, source.offset, trace)
    }
    this.#live.append(trace, f.request, f.spanCount, nowMs, source)
    result.accepted += f.spanCount
  }

  #updateGauges (): void {
    this.#metrics.liveTraces.set({ tenant: this.tenant }, this.#live.size)
    this.#metrics.liveTraceBytes.set({ tenant: this.tenant }, this.liveBytes)
  }
}
