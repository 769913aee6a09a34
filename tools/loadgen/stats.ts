/** Counters of a load-generation run, updated by the senders, summarised at the end. */
export class LoadStats {
  requests = 0
  batches = 0
  retries = 0
  spansSent = 0
  tracesSent = 0
  spansAccepted = 0
  spansRejected = 0
  spansFailed = 0
  partialBatches = 0
  bytesSent = 0
  errors = 0
  readonly errorsByStatus: Record<string, number> = {}
  readonly rejectMessages: string[] = []
  readonly sampleTraceIds: string[] = []
  readonly latencies: number[] = []

  error (status: string): void {
    this.errors++
    this.errorsByStatus[status] = (this.errorsByStatus[status] ?? 0) + 1
  }

  latency (ms: number): void {
    this.latencies.push(ms)
  }
}

/** The p-th percentile (0..100) by nearest rank; 0 for no samples. */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] ?? 0
}
