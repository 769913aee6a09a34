import type { LoadGenProgress, LoadGenSummary } from './loadgen.ts'

/** Where progress goes: process.stderr in the CLI, a string collector in tests. */
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface ProgressOptions {
  stream: ProgressStream
  /** Wall-clock ms (throttling only). */
  now: () => number
  /** Force TTY or plain mode (default: the stream's `isTTY`). */
  tty?: boolean
  /** Redraw interval on a TTY (default 100 ms). */
  redrawMs?: number
  /** Line interval when not a TTY (default 1000 ms). */
  intervalMs?: number
}

export interface ProgressReporter {
  /** Feed it every progress event; it draws at most once per interval. */
  update(progress: LoadGenProgress): void
  /** Draws the last state and ends the line (TTY). */
  finish(): void
}

function count (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** `[#######-------]  45%  12,345 spans  2,003/s (target 2,000)  0 rejected  3 errors` */
export function progressLine (p: LoadGenProgress, barWidth: number): string {
  const filled = Math.floor(Math.min(1, Math.max(0, p.fraction)) * barWidth)
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`
  const pct = `${Math.floor(p.fraction * 100)}%`.padStart(4)
  const target = p.targetRate > 0 ? ` (target ${count(p.targetRate)})` : ''
  return `${bar} ${pct}  ${count(p.spansSent)} spans  ${count(p.spansPerSecond)}/s${target}  ${count(p.spansRejected)} rejected  ${count(p.errors)} errors`
}

/**
 * A progress display for the load generator: on a TTY one line redrawn in place (`\r`, erase
 * line); otherwise a plain line every `intervalMs`, fit for logs.
 */
export function createProgress (options: ProgressOptions): ProgressReporter {
  const tty = options.tty ?? options.stream.isTTY === true
  const every = tty ? options.redrawMs ?? 100 : options.intervalMs ?? 1000
  let last: LoadGenProgress | null = null
  let drawnAt = -Infinity
  let drawn: LoadGenProgress | null = null
  const draw = (p: LoadGenProgress): void => {
    drawn = p
    if (tty) {
      const width = Math.max(40, (options.stream.columns ?? 100) - 1)
      const line = progressLine(p, 20)
      options.stream.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`)
    } else {
      const seconds = (p.elapsedMs / 1000).toFixed(1)
      options.stream.write(`loadgen: ${seconds}s ${count(p.spansSent)} spans sent, ${count(p.spansAccepted)} accepted, ${count(p.spansRejected)} rejected, ${count(p.spansPerSecond)} spans/s, ${count(p.errors)} errors\n`)
    }
  }
  return {
    update (p) {
      last = p
      const t = options.now()
      if (t - drawnAt < every) return
      drawnAt = t
      draw(p)
    },
    finish () {
      if (last !== null && last !== drawn) draw(last)
      if (tty && drawn !== null) options.stream.write('\n')
    },
  }
}

/** A multi-line human summary of a run. */
export function formatSummary (s: LoadGenSummary): string {
  const errors = Object.entries(s.errorsByStatus).map(([k, v]) => `${k}×${v}`).join(', ')
  const lines = [
    `sent       ${count(s.spansSent)} spans in ${count(s.tracesSent)} traces, ${count(s.batches)} requests (${count(s.requests)} attempts, ${count(s.retries)} retries), ${count(s.bytesSent)} bytes`,
    `accepted   ${count(s.spansAccepted)} spans; rejected ${count(s.spansRejected)}${s.partialBatches > 0 ? ` (in ${count(s.partialBatches)} request${s.partialBatches === 1 ? '' : 's'})` : ''}; failed ${count(s.spansFailed)}`,
    `rate       ${count(s.spansPerSecond)} spans/s over ${(s.elapsedMs / 1000).toFixed(2)}s`,
    `latency    p50 ${s.latencyMs.p50.toFixed(1)}ms  p99 ${s.latencyMs.p99.toFixed(1)}ms  max ${s.latencyMs.max.toFixed(1)}ms`,
  ]
  if (errors !== '') lines.push(`errors     ${errors}`)
  for (const m of s.rejectMessages) lines.push(`rejected   ${m}`)
  if (s.sampleTraceIds.length > 0) lines.push(`traces     ${s.sampleTraceIds.join(' ')}`)
  return lines.join('\n') + '\n'
}
