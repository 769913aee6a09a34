import type { Span } from '../common/otlp/model.ts'

/**
 * One trace cut from memory for the head block (the store's `LiveTrace` as it leaves memory).
 * Its fragments are OTLP `ExportTraceServiceRequest` protobufs holding only this trace's spans,
 * as the Kafka records carried them; decoding happens where the block is written (encoder.ts),
 * off the caller's thread when the encoder is a worker pool.
 */
export interface CutTrace {
  /** 16 bytes. */
  traceId: Buffer
  fragments: readonly Buffer[]
  /** Kafka record time (ms) of the first fragment. */
  createdAtMs: number
  /** Record time (ms) of the last fragment. */
  lastAppendMs: number
}

/** A time range in Unix nanoseconds, both ends inclusive. */
export interface NanoRange { startUnixNano: bigint, endUnixNano: bigint }

const NS_PER_MS = 1_000_000n

/**
 * Tempo's ingestion-slack window of a trace (tempo-behaviour.md §2.2):
 * [createdAt − slack, lastAppend + slack], in nanoseconds, floored at 0.
 */
export function ingestionWindow (trace: Pick<CutTrace, 'createdAtMs' | 'lastAppendMs'>, slackMs: number): NanoRange {
  const lo = BigInt(Math.floor(trace.createdAtMs - slackMs)) * NS_PER_MS
  const hi = BigInt(Math.ceil(trace.lastAppendMs + slackMs)) * NS_PER_MS
  return { startUnixNano: lo < 0n ? 0n : lo, endUnixNano: hi < 0n ? 0n : hi }
}

export interface TraceTimes {
  /** The spans' range (min start, max end) clamped into the window: never stretched to it. */
  range: NanoRange
  /** Spans whose start or end lies outside the window. */
  outside: number
}

/** The trace's time range for the block meta, and how many spans fall outside its window. */
export function traceTimes (spans: readonly Span[], window: NanoRange): TraceTimes | null {
  if (spans.length === 0) return null
  let start = spans[0]!.startTimeUnixNano
  let end = spans[0]!.endTimeUnixNano
  let outside = 0
  for (const s of spans) {
    if (s.startTimeUnixNano < start) start = s.startTimeUnixNano
    if (s.endTimeUnixNano > end) end = s.endTimeUnixNano
    if (!within(s.startTimeUnixNano, window) || !within(s.endTimeUnixNano, window)) outside++
  }
  const lo = clamp(start, window)
  const hi = clamp(end, window)
  return { range: { startUnixNano: lo, endUnixNano: hi < lo ? lo : hi }, outside }
}

/** The smallest range holding both (either may be null). */
export function unionRange (a: NanoRange | null, b: NanoRange | null): NanoRange | null {
  if (a === null) return b
  if (b === null) return a
  return {
    startUnixNano: a.startUnixNano < b.startUnixNano ? a.startUnixNano : b.startUnixNano,
    endUnixNano: a.endUnixNano > b.endUnixNano ? a.endUnixNano : b.endUnixNano,
  }
}

function within (t: bigint, w: NanoRange): boolean {
  return t >= w.startUnixNano && t <= w.endUnixNano
}

function clamp (t: bigint, w: NanoRange): bigint {
  return t < w.startUnixNano ? w.startUnixNano : t > w.endUnixNano ? w.endUnixNano : t
}
