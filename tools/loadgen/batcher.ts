import type { GeneratedSpan, TraceGenerator } from './trace-generator.ts'

/** One export request's worth of spans, cut from the stream of generated traces. */
export interface Batch {
  spans: GeneratedSpan[]
  /** Traces whose last span is in this batch. */
  tracesCompleted: number
  /** Hex ids of the traces wholly inside this batch. */
  completeTraceIds: string[]
}

interface Queued { g: GeneratedSpan, first: boolean, last: boolean }

/**
 * Cuts generated traces into batches of exactly `batchSpans` spans, as an SDK's batch span
 * processor does (a trace may straddle two batches); the last batch may be smaller. Traces are
 * generated on demand, stamped with `now()`; after `maxTraces` traces (if given) the batcher
 * drains and then returns null.
 */
export function createBatcher (generator: TraceGenerator, batchSpans: number, now: () => number, maxTraces = Infinity): { next(): Batch | null, tracesGenerated(): number } {
  let queue: Queued[] = []
  let generated = 0
  return {
    next () {
      while (queue.length < batchSpans && generated < maxTraces) {
        const { spans } = generator.next(now())
        generated++
        spans.forEach((g, i) => queue.push({ g, first: i === 0, last: i === spans.length - 1 }))
      }
      if (queue.length === 0) return null
      const taken = queue.slice(0, batchSpans)
      queue = queue.slice(batchSpans)
      const started = new Set<string>()
      const completeTraceIds: string[] = []
      let tracesCompleted = 0
      for (const q of taken) {
        const id = q.g.span.traceId.toString('hex')
        if (q.first) started.add(id)
        if (q.last) {
          tracesCompleted++
          if (started.has(id)) completeTraceIds.push(id)
        }
      }
      return { spans: taken.map((q) => q.g), tracesCompleted, completeTraceIds }
    },
    tracesGenerated: () => generated,
  }
}
