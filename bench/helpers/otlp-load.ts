import type { Agent } from 'node:http'
import { encodeTracesProto, splitRequestByTrace } from '../../common/otlp/index.ts'
import { generateTraces } from '../../tools/index.ts'
import { httpRequest } from './http.ts'

/**
 * Realistic OTLP load for benchmarks, made once and re-sent many times: traces come from the load
 * generator (tools/loadgen), are encoded once, and every re-send stamps a fresh number into bytes
 * 4..7 of each trace id (at offsets found once), so every send carries new traces without paying
 * for generation and encoding again. The client then takes little of the cores the node needs.
 */
export interface StampedBytes {
  bytes: Buffer
  /** Offsets of every copy of the trace id(s) inside `bytes`. */
  idOffsets: number[]
}

export interface PooledRequest extends StampedBytes { spans: number, traces: number }

export interface PooledRecord extends StampedBytes { traceId: Buffer, spans: number }

export interface GenOptions { now: number, minSpans?: number, maxSpans?: number }

/** Every offset of `id` in `bytes`. */
function offsetsOf (bytes: Buffer, id: Buffer): number[] {
  const out: number[] = []
  for (let at = bytes.indexOf(id); at >= 0; at = bytes.indexOf(id, at + 1)) out.push(at)
  return out
}

/** A copy of `b` with `round` written into bytes 4..7 of every trace id. */
export function stamped (b: StampedBytes, round: number): Buffer {
  const out = Buffer.from(b.bytes)
  for (const off of b.idOffsets) out.writeUInt32BE(round >>> 0, off + 4)
  return out
}

/** `size` protobuf ExportTraceServiceRequests of about `spansPerRequest` spans (whole traces). */
export function requestPool (size: number, spansPerRequest: number, gen: GenOptions): PooledRequest[] {
  const meanSpans = ((gen.minSpans ?? 5) + (gen.maxSpans ?? 40)) / 2
  const traces = Math.max(1, Math.round(spansPerRequest / meanSpans))
  return Array.from({ length: size }, (_, i) => {
    const data = generateTraces({ seed: i + 1, traces, now: gen.now, ...spanRange(gen) })
    const bytes = encodeTracesProto(data)
    const split = splitRequestByTrace(bytes)
    const idOffsets = split.traces.flatMap((t) => offsetsOf(bytes, t.traceId))
    return { bytes, idOffsets, spans: split.spans, traces: split.traces.length }
  })
}

/**
 * Records as the distributor makes them (ingest/distributor.ts): a generated request split by
 * trace, one record value per trace (that trace's ExportTraceServiceRequest).
 */
export function recordPool (traces: number, gen: GenOptions & { seed?: number }): PooledRecord[] {
  const out: PooledRecord[] = []
  const perRequest = 200
  for (let i = 0; i * perRequest < traces; i++) {
    const data = generateTraces({ seed: (gen.seed ?? 1) * 100_003 + i, traces: Math.min(perRequest, traces - i * perRequest), now: gen.now, ...spanRange(gen) })
    for (const t of splitRequestByTrace(encodeTracesProto(data)).traces) {
      const bytes = Buffer.from(t.request)
      const traceId = Buffer.from(t.traceId)
      out.push({ bytes, traceId, spans: t.spanCount, idOffsets: offsetsOf(bytes, traceId) })
    }
  }
  return out
}

function spanRange (gen: GenOptions): { minSpans?: number, maxSpans?: number } {
  return { ...(gen.minSpans === undefined ? {} : { minSpans: gen.minSpans }), ...(gen.maxSpans === undefined ? {} : { maxSpans: gen.maxSpans }) }
}

export interface DriveResult {
  requests: number
  spans: number
  traces: number
  bytes: number
  failures: number
  /** Non-200 answers by status (first few bodies kept). */
  errors: Record<string, number>
  startedAt: number
  endedAt: number
}

/**
 * Sends the pool round-robin to `${otlp}/v1/traces` with `concurrency` requests in flight until
 * `durationMs` passed or `signal` aborts (a request started before the end is awaited).
 */
export async function drive (otlp: string, pool: readonly PooledRequest[], opts: { concurrency: number, durationMs: number, agent: Agent, signal?: AbortSignal }): Promise<DriveResult> {
  const r: DriveResult = { requests: 0, spans: 0, traces: 0, bytes: 0, failures: 0, errors: {}, startedAt: performance.now(), endedAt: 0 }
  let next = 0
  const deadline = r.startedAt + opts.durationMs
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (performance.now() < deadline && opts.signal?.aborted !== true) {
      const i = next++
      const p = pool[i % pool.length]!
      const body = stamped(p, Math.floor(i / pool.length) + 1)
      let status: number
      try {
        status = (await httpRequest(`${otlp}/v1/traces`, { agent: opts.agent, method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })).status
      } catch {
        status = 0
      }
      if (status === 200) { r.requests++; r.spans += p.spans; r.traces += p.traces; r.bytes += body.length } else {
        r.failures++
        r.errors[String(status)] = (r.errors[String(status)] ?? 0) + 1
      }
    }
  }))
  r.endedAt = performance.now()
  return r
}
