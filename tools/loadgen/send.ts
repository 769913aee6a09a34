import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { encodeTracesJson, encodeTracesProto } from '../../common/otlp/index.ts'
import type { Random } from '../../common/random.ts'
import type { Batch } from './batcher.ts'
import type { LoadGenClock } from './clock.ts'
import { readPartialSuccess } from './otlp-response.ts'
import type { LoadStats } from './stats.ts'
import { groupSpans } from './resources.ts'

const gzip = promisify(gzipCallback)

export interface SenderConfig {
  endpoint: string
  encoding: 'protobuf' | 'json'
  gzip: boolean
  tenant?: string
  maxRetries: number
  retryBackoffMs: number
  maxBackoffMs: number
  sampleTraces: number
  clock: LoadGenClock
  rand: Random
  fetch: typeof fetch
  signal?: AbortSignal
  /** Called after every HTTP attempt. */
  onAttempt: () => void
  /** Called with a request's spans when it got a 2xx answer that refused none of them. */
  onAccepted?: (spans: AcceptedSpan[]) => void
}

/** The ids of a span the server acknowledged. */
export interface AcceptedSpan { traceId: Buffer, spanId: Buffer }

const RETRYABLE = new Set([429, 502, 503, 504])

/** Encodes a batch as OTLP/HTTP (protobuf or JSON, optionally gzip). */
export async function encodeBatch (batch: Batch, encoding: 'protobuf' | 'json', compress: boolean): Promise<Buffer> {
  const data = groupSpans(batch.spans)
  const raw = encoding === 'json' ? Buffer.from(encodeTracesJson(data, { dialect: 'otlp' })) : encodeTracesProto(data)
  return compress ? gzip(raw) : raw
}

/** Seconds of a Retry-After header (delta-seconds only), in ms; undefined when absent or a date. */
function retryAfterMs (header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined
  return Number(header.trim()) * 1000
}

/**
 * Sends one batch to `POST …/v1/traces`, retrying 429/502/503/504 and network errors with
 * exponential backoff and jitter (a Retry-After header is honoured up to `maxBackoffMs`), and
 * records the outcome in `stats`. Returns false when the run was aborted meanwhile.
 */
export async function sendBatch (cfg: SenderConfig, batch: Batch, stats: LoadStats): Promise<boolean> {
  const body = await encodeBatch(batch, cfg.encoding, cfg.gzip)
  const headers: Record<string, string> = {
    'content-type': cfg.encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    'user-agent': 'livestore-loadgen/0.1',
  }
  if (cfg.gzip) headers['content-encoding'] = 'gzip'
  if (cfg.tenant !== undefined && cfg.tenant !== '') headers['X-Scope-OrgID'] = cfg.tenant
  const spans = batch.spans.length
  stats.batches++
  stats.spansSent += spans
  stats.tracesSent += batch.tracesCompleted
  const aborted = (): boolean => cfg.signal?.aborted === true
  for (let attempt = 0; ; attempt++) {
    if (aborted()) return false
    const started = cfg.clock.now()
    let status: string
    let wait: number | undefined
    try {
      const init: RequestInit = { method: 'POST', headers, body }
      if (cfg.signal !== undefined) init.signal = cfg.signal
      const res = await cfg.fetch(cfg.endpoint, init)
      const answer = Buffer.from(await res.arrayBuffer())
      stats.requests++
      stats.bytesSent += body.length
      stats.latency(cfg.clock.now() - started)
      if (res.ok) {
        const partial = readPartialSuccess(answer, res.headers.get('content-type') ?? '')
        const rejected = Math.min(spans, partial.rejectedSpans)
        stats.spansRejected += rejected
        stats.spansAccepted += spans - rejected
        if (partial.errorMessage !== '' && stats.rejectMessages.length < 5 && !stats.rejectMessages.includes(partial.errorMessage)) stats.rejectMessages.push(partial.errorMessage)
        for (const id of batch.completeTraceIds) if (stats.sampleTraceIds.length < cfg.sampleTraces) stats.sampleTraceIds.push(id)
        // partial_success says how many spans were refused, not which: such a request is only counted.
        if (partial.rejectedSpans > 0) stats.partialBatches++
        else cfg.onAccepted?.(batch.spans.map((g) => ({ traceId: g.span.traceId, spanId: g.span.spanId })))
        cfg.onAttempt()
        return true
      }
      status = String(res.status)
      wait = RETRYABLE.has(res.status) ? retryAfterMs(res.headers.get('retry-after')) ?? -1 : undefined
    } catch (err) {
      if (aborted()) return false
      stats.requests++
      stats.latency(cfg.clock.now() - started)
      status = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network'
      wait = -1
    }
    stats.error(status)
    cfg.onAttempt()
    if (wait === undefined || attempt >= cfg.maxRetries) {
      stats.spansFailed += spans
      return true
    }
    stats.retries++
    const backoff = Math.min(cfg.maxBackoffMs, cfg.retryBackoffMs * 2 ** attempt) * (0.5 + cfg.rand.next() / 2)
    try {
      await cfg.clock.sleep(wait >= 0 ? Math.min(wait, cfg.maxBackoffMs) : backoff, cfg.signal)
    } catch {
      return false
    }
  }
}
