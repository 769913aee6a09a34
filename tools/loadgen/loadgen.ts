import { seededRandom } from '../../common/random.ts'
import { createBatcher } from './batcher.ts'
import { performanceClock } from './clock.ts'
import type { LoadGenClock } from './clock.ts'
import { tokenBucket } from './pacer.ts'
import { sendBatch } from './send.ts'
import type { AcceptedSpan } from './send.ts'
import { LoadStats, percentile } from './stats.ts'
import { createTraceGenerator } from './trace-generator.ts'

export type { LoadGenClock } from './clock.ts'
export type { AcceptedSpan } from './send.ts'

export interface LoadGenOptions {
  /** Base URL of an OTLP/HTTP receiver, e.g. `http://127.0.0.1:4318`; `/v1/traces` is appended. */
  url: string
  /** Target spans per second; 0 or absent sends as fast as the server answers. */
  rate?: number
  /** Stop starting new requests after this many ms. At least one of `duration`, `traces`. */
  duration?: number
  /** Stop after this many traces. */
  traces?: number
  /** Requests in flight at once (default 4). */
  concurrency?: number
  /** Spans per request (default 100). */
  batchSpans?: number
  /** Body encoding (default protobuf). */
  encoding?: 'protobuf' | 'json'
  gzip?: boolean
  /** Sent as `X-Scope-OrgID`. */
  tenant?: string
  /** PRNG seed of the traces and the retry jitter (default 1). */
  seed?: number
  /** Fraction of error spans in the generated traces (default 0.03). */
  errorRate?: number
  /** Retries of a 429/502/503/504 or network error before the batch counts as failed (default 5). */
  maxRetries?: number
  /** First retry delay, doubled each attempt, with jitter (default 100 ms). */
  retryBackoffMs?: number
  /** Cap of a retry delay, Retry-After included (default 5000 ms). */
  maxBackoffMs?: number
  /** Sample trace ids to report (default 5). */
  sampleTraces?: number
  clock?: LoadGenClock
  /** Stops the run early (in-flight requests are abandoned); the summary covers what was done. */
  signal?: AbortSignal
  fetch?: typeof fetch
  /** Called after every HTTP attempt. */
  onProgress?: (progress: LoadGenProgress) => void
  /**
   * Called once per request that got a 2xx answer refusing none of its spans, with the ids of
   * the spans it carried (e.g. to log what the server acknowledged). A 2xx answer with
   * `partial_success.rejected_spans` does not say which spans were refused, so such a request is
   * not reported here, only counted in `partialBatches`.
   */
  onAccepted?: (spans: AcceptedSpan[]) => void
}

export interface LoadGenProgress {
  elapsedMs: number
  requests: number
  spansSent: number
  spansAccepted: number
  spansRejected: number
  spansFailed: number
  /** Non-2xx answers and network errors, retried ones included. */
  errors: number
  spansPerSecond: number
  /** Target rate (0 = unpaced). */
  targetRate: number
  /** How far the run is, 0..1, by time or traces (whichever is further). */
  fraction: number
}

export interface LoadGenSummary {
  /** HTTP attempts, retries included. */
  requests: number
  /** Export requests (batches) sent at least once. */
  batches: number
  retries: number
  spansSent: number
  /** Traces whose last span was sent. */
  tracesSent: number
  spansAccepted: number
  /** Refused by the server in a 200 answer (`partial_success.rejected_spans`). */
  spansRejected: number
  /** In batches that got no 2xx answer, retries exhausted. */
  spansFailed: number
  /** Requests answered 2xx with `partial_success` rejected spans (not reported to `onAccepted`). */
  partialBatches: number
  /** Request bytes on the wire (after gzip), retries included. */
  bytesSent: number
  /** Count of non-2xx answers by HTTP status (`network`/`timeout` for failed connections). */
  errorsByStatus: Record<string, number>
  /** A few `partial_success.error_message`s. */
  rejectMessages: string[]
  elapsedMs: number
  /** Spans sent per second of the run. */
  spansPerSecond: number
  latencyMs: { p50: number, p99: number, max: number }
  /** Hex ids of a few traces sent whole in an accepted request (to look up afterwards). */
  sampleTraceIds: string[]
}

/**
 * Sends generated traces to an OTLP/HTTP endpoint at a target span rate (token bucket shared by
 * `concurrency` senders), for a duration or a number of traces, and reports what happened.
 */
export async function runLoadGen (options: LoadGenOptions): Promise<LoadGenSummary> {
  const duration = options.duration
  const maxTraces = options.traces
  if (duration === undefined && maxTraces === undefined) throw new Error('runLoadGen: give a duration or a number of traces')
  const clock = options.clock ?? performanceClock()
  const seed = options.seed ?? 1
  const batchSpans = Math.max(1, Math.floor(options.batchSpans ?? 100))
  const rate = options.rate ?? 0
  const generator = createTraceGenerator({ seed, errorRate: options.errorRate ?? 0.03 })
  const batcher = createBatcher(generator, batchSpans, () => clock.now(), maxTraces ?? Infinity)
  const pacer = tokenBucket(rate, batchSpans, () => clock.now())
  const stats = new LoadStats()
  const start = clock.now()
  const deadline = duration !== undefined ? start + duration : Infinity

  const progress = (): LoadGenProgress => {
    const elapsedMs = Math.max(0, clock.now() - start)
    const byTime = duration !== undefined && duration > 0 ? elapsedMs / duration : 0
    const byTraces = maxTraces !== undefined && maxTraces > 0 ? batcher.tracesGenerated() / maxTraces : 0
    return {
      elapsedMs,
      requests: stats.requests,
      spansSent: stats.spansSent,
      spansAccepted: stats.spansAccepted,
      spansRejected: stats.spansRejected,
      spansFailed: stats.spansFailed,
      errors: stats.errors,
      spansPerSecond: elapsedMs > 0 ? stats.spansSent / elapsedMs * 1000 : 0,
      targetRate: rate,
      fraction: Math.min(1, Math.max(byTime, byTraces)),
    }
  }

  const base = options.url.replace(/\/+$/, '')
  const cfg = {
    endpoint: base.endsWith('/v1/traces') ? base : `${base}/v1/traces`,
    encoding: options.encoding ?? 'protobuf',
    gzip: options.gzip ?? false,
    tenant: options.tenant,
    maxRetries: options.maxRetries ?? 5,
    retryBackoffMs: options.retryBackoffMs ?? 100,
    maxBackoffMs: options.maxBackoffMs ?? 5000,
    sampleTraces: options.sampleTraces ?? 5,
    clock,
    rand: seededRandom(seed ^ 0x5bd1e995),
    fetch: options.fetch ?? fetch,
    signal: options.signal,
    onAttempt: () => options.onProgress?.(progress()),
    onAccepted: options.onAccepted,
  }

  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted === true || clock.now() >= deadline) return
      const wait = pacer.reserve(batchSpans)
      // A slot past the deadline is not waited for: the run ends on time.
      if (clock.now() + wait >= deadline) return
      if (wait > 0) {
        try {
          await clock.sleep(wait, options.signal)
        } catch {
          return
        }
      }
      if (clock.now() >= deadline) return
      const batch = batcher.next()
      if (batch === null) return
      if (!await sendBatch(cfg, batch, stats)) return
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(options.concurrency ?? 4)) }, worker))

  const elapsedMs = Math.max(0, clock.now() - start)
  const sorted = [...stats.latencies].sort((a, b) => a - b)
  return {
    requests: stats.requests,
    batches: stats.batches,
    retries: stats.retries,
    spansSent: stats.spansSent,
    tracesSent: stats.tracesSent,
    spansAccepted: stats.spansAccepted,
    spansRejected: stats.spansRejected,
    spansFailed: stats.spansFailed,
    partialBatches: stats.partialBatches,
    bytesSent: stats.bytesSent,
    errorsByStatus: { ...stats.errorsByStatus },
    rejectMessages: [...stats.rejectMessages],
    elapsedMs,
    spansPerSecond: elapsedMs > 0 ? stats.spansSent / elapsedMs * 1000 : 0,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
    sampleTraceIds: [...stats.sampleTraceIds],
  }
}
