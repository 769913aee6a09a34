import { decodeTracesProto, mergeTraces } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import type { OverridesConfig } from './config.ts'
import { LiveTraces } from './live-traces.ts'
import type { LiveTrace } from './live-traces.ts'
import { DiscardReason } from './metrics.ts'
import type { StoreMetrics } from './metrics.ts'
import { TraceSizes } from './trace-sizes.ts'

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
}

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

  constructor (opts: TenantInstanceOptions) {
    this.tenant = opts.tenant
    this.#metrics = opts.metrics
    this.#updateGauges()
  }

  /** Live traces held. */
  get liveTraces (): number { return this.#live.size }
  /** Protobuf bytes held. */
  get liveBytes (): number { return this.#live.bytes }
  /** Spans held. */
  get liveSpans (): number { return this.#live.spans }

  /** The live traces, for the idle/max-live cut; LiveTrace objects are read-only outside. */
  traces (): IterableIterator<LiveTrace> { return this.#live.values() }

  push (fragments: readonly TraceFragment[], nowMs: number, limits: OverridesConfig): PushResult {
    const result = emptyPushResult()
    for (const f of fragments) this.#pushFragment(f, nowMs, limits, result)
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
    const trace = this.#live.get(traceId.toString('hex'))
    return trace === undefined ? null : mergeTraces(trace.fragments.map((f) => decodeTracesProto(f)))
  }

  #pushFragment (f: TraceFragment, nowMs: number, limits: OverridesConfig, result: PushResult): void {
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
      trace = this.#live.create(Buffer.from(f.traceId), key, nowMs)
      this.#metrics.tracesCreated.inc({ tenant: this.tenant })
    }
    this.#live.append(trace, f.request, f.spanCount, nowMs)
    result.accepted += f.spanCount
  }

  #updateGauges (): void {
    this.#metrics.liveTraces.set({ tenant: this.tenant }, this.#live.size)
    this.#metrics.liveTraceBytes.set({ tenant: this.tenant }, this.#live.bytes)
  }
}
