import type { ResourceSpans, ScopeSpans, Span, TracesData } from '../common/otlp/model.ts'
import { countSpans, mergeTraces, splitByTrace } from '../common/otlp/split.ts'
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

export interface TenantInstanceOptions {
  tenant: string
  metrics: StoreMetrics
  /** Protobuf size of one span (what `max_bytes_per_trace` and the byte gauge count). */
  sizeOfSpan: (span: Span) => number
}

/**
 * One tenant's live traces (Tempo's live-store `instance`). Pushes never throw and never wait on
 * a limit: refused spans are counted and reported in the result, the rest is kept.
 */
export class TenantInstance {
  readonly tenant: string
  readonly #live = new LiveTraces()
  readonly #sizes = new TraceSizes()
  readonly #metrics: StoreMetrics
  readonly #sizeOfSpan: (span: Span) => number

  constructor (opts: TenantInstanceOptions) {
    this.tenant = opts.tenant
    this.#metrics = opts.metrics
    this.#sizeOfSpan = opts.sizeOfSpan
    this.#updateGauges()
  }

  /** Live traces held. */
  get liveTraces (): number { return this.#live.size }
  /** Protobuf bytes of the spans held. */
  get liveBytes (): number { return this.#live.bytes }
  /** Spans held. */
  get liveSpans (): number { return this.#live.spans }

  /** The live traces, for the idle/max-live cut; LiveTrace objects are read-only outside. */
  traces (): IterableIterator<LiveTrace> { return this.#live.values() }

  push (data: TracesData, nowMs: number, limits: OverridesConfig): PushResult {
    const result = emptyPushResult()
    for (const [key, fragment] of splitByTrace(data)) this.#pushTrace(key, fragment, nowMs, limits, result)
    const tenant = this.tenant
    if (result.refused.live_traces_exceeded > 0) this.#metrics.discardedSpans.inc({ reason: DiscardReason.liveTracesExceeded, tenant }, result.refused.live_traces_exceeded)
    if (result.refused.trace_too_large > 0) this.#metrics.discardedSpans.inc({ reason: DiscardReason.traceTooLarge, tenant }, result.refused.trace_too_large)
    this.#updateGauges()
    return result
  }

  /**
   * The trace's fragments merged into one TracesData (batches with equal resources, and scopes
   * with equal scopes, joined; spans in arrival order), or null. New shells; the resources,
   * scopes and spans are shared with the store and must not be modified.
   */
  findTraceById (traceId: Buffer): TracesData | null {
    const trace = this.#live.get(traceId.toString('hex'))
    return trace === undefined ? null : mergeTraces([{ resourceSpans: trace.batches }])
  }

  #pushTrace (key: string, fragment: TracesData, nowMs: number, limits: OverridesConfig, result: PushResult): void {
    let trace = this.#live.get(key)
    // A new trace id is refused when the tenant is full; traces already live keep accepting spans.
    if (trace === undefined && limits.max_traces_per_user > 0 && this.#live.size >= limits.max_traces_per_user) {
      result.refused.live_traces_exceeded += countSpans(fragment)
      return
    }
    let spans = 0
    let bytes = 0
    let traceId: Buffer | undefined
    const kept: ResourceSpans[] = []
    for (const rs of fragment.resourceSpans) {
      const scopes: ScopeSpans[] = []
      for (const ss of rs.scopeSpans) {
        const accepted: Span[] = []
        for (const span of ss.spans) {
          const size = this.#sizeOfSpan(span)
          if (this.#sizes.allow(key, size, limits.max_bytes_per_trace, nowMs)) {
            accepted.push(span)
            bytes += size
            traceId ??= span.traceId
          } else {
            result.refused.trace_too_large++
          }
        }
        spans += accepted.length
        if (accepted.length > 0) scopes.push({ scope: ss.scope, spans: accepted, schemaUrl: ss.schemaUrl })
      }
      if (scopes.length > 0) kept.push({ resource: rs.resource, scopeSpans: scopes, schemaUrl: rs.schemaUrl })
    }
    if (traceId === undefined) return
    if (trace === undefined) {
      trace = this.#live.create(traceId, key, nowMs)
      this.#metrics.tracesCreated.inc({ tenant: this.tenant })
    }
    this.#live.append(trace, kept, spans, bytes, nowMs)
    result.accepted += spans
  }

  #updateGauges (): void {
    this.#metrics.liveTraces.set({ tenant: this.tenant }, this.#live.size)
    this.#metrics.liveTraceBytes.set({ tenant: this.tenant }, this.#live.bytes)
  }
}
