import { InvalidArgumentError, LiveStoreError } from '../common/errors.ts'
import type { CutTrace } from './cut-trace.ts'
import type { CompleteJob, SegmentJob, SegmentResult } from './encoder-jobs.ts'
import { CorruptBlockError } from './errors.ts'
import type { BlockMeta } from './meta.ts'

/**
 * Messages between the encoder pool (encoder-pool.ts) and its worker threads (encoder-thread.ts).
 *
 * A segment job's fragments are usually views into larger buffers (Kafka fetch responses,
 * Buffer's 8 KiB pool); structured cloning a view copies its whole backing ArrayBuffer. So the
 * trace ids and fragments are packed into one fresh ArrayBuffer (one copy of exactly their bytes)
 * that is transferred, not cloned, and the worker rebuilds Buffers as views into it.
 */
export interface PackedTrace {
  createdAtMs: number
  lastAppendMs: number
  /** [offset, length] pairs into `packed`: the trace id first, then each fragment. */
  spans: number[]
}

export type WireSegmentJob = Omit<SegmentJob, 'traces'> & { packed: ArrayBuffer, traces: PackedTrace[] }

export type ToWorker =
  | { id: number, kind: 'segment', job: WireSegmentJob }
  | { id: number, kind: 'complete', job: CompleteJob }

export interface WireError { name: string, message: string, code?: string, path?: string, stack?: string }

export type FromWorker =
  | { id: number, ok: true, value: SegmentResult | BlockMeta }
  | { id: number, ok: false, error: WireError }

export function packSegmentJob (job: SegmentJob): { wire: WireSegmentJob, transfer: ArrayBuffer[] } {
  let size = 0
  for (const t of job.traces) {
    size += t.traceId.length
    for (const f of t.fragments) size += f.length
  }
  const packed = new Uint8Array(size)
  let at = 0
  const put = (b: Uint8Array, out: number[]): void => {
    packed.set(b, at)
    out.push(at, b.length)
    at += b.length
  }
  const traces = job.traces.map((t): PackedTrace => {
    const spans: number[] = []
    put(t.traceId, spans)
    for (const f of t.fragments) put(f, spans)
    return { createdAtMs: t.createdAtMs, lastAppendMs: t.lastAppendMs, spans }
  })
  const { traces: _traces, ...rest } = job
  return { wire: { ...rest, packed: packed.buffer, traces }, transfer: [packed.buffer] }
}

export function unpackSegmentJob (wire: WireSegmentJob): SegmentJob {
  const { packed, traces, ...rest } = wire
  const view = (off: number, len: number): Buffer => Buffer.from(packed, off, len)
  return {
    ...rest,
    traces: traces.map((t): CutTrace => {
      const fragments: Buffer[] = []
      for (let i = 2; i < t.spans.length; i += 2) fragments.push(view(t.spans[i]!, t.spans[i + 1]!))
      return { traceId: view(t.spans[0]!, t.spans[1]!), fragments, createdAtMs: t.createdAtMs, lastAppendMs: t.lastAppendMs }
    }),
  }
}

export function errorToWire (err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const out: WireError = { name: err.name, message: err.message }
  const { code, path } = err as { code?: unknown, path?: unknown }
  if (typeof code === 'string') out.code = code
  if (typeof path === 'string') out.path = path
  if (err.stack !== undefined) out.stack = err.stack
  return out
}

/** Rebuilds the error a job threw in the worker, keeping the types callers test for. */
export function errorFromWire (w: WireError): Error {
  let err: Error
  if (w.name === 'CorruptBlockError' && w.path !== undefined) {
    err = new CorruptBlockError(w.path, w.message.replace(`corrupt block file ${w.path}: `, ''))
  } else if (w.name === 'InvalidArgumentError' || w.name === 'OtlpDecodeError') {
    err = new InvalidArgumentError(w.message)
  } else {
    err = new Error(w.message)
    err.name = w.name
  }
  if (w.code !== undefined && !(err instanceof LiveStoreError)) Object.assign(err, { code: w.code })
  if (w.stack !== undefined) err.stack = w.stack
  return err
}
