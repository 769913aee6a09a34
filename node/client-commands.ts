import { parseDuration } from '../common/config-schema.ts'
import { InvalidArgumentError } from '../common/errors.ts'
import { createProgress, fetchTrace, formatSummary, openAckLog, renderWaterfall, runLoadGen } from '../tools/index.ts'
import { systemClock } from './system-clock.ts'

export interface GenOptions {
  url: string
  rate?: string
  duration?: string
  traces?: string
  concurrency: string
  batch: string
  encoding: string
  gzip?: boolean
  tenant?: string
  seed: string
  /** Appends `<traceIdHex> <spanIdHex>` of every acknowledged span to this file. */
  ackLog?: string
  maxRetries?: string
  retryBackoff?: string
  maxBackoff?: string
}

function positive (name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--${name} must be a positive number, got ${JSON.stringify(v)}`)
  return n
}

function count (name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--${name} must be a whole number ≥ 0, got ${JSON.stringify(v)}`)
  return n
}

function duration (name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const ms = parseDuration(v)
  if (ms === null) throw new InvalidArgumentError(`--${name} must be a duration such as 30s or 500ms, got ${JSON.stringify(v)}`)
  return ms
}

/** `livestore gen`: realistic OTLP load at a target rate, with a progress bar and a summary. */
export async function runGenCommand (o: GenOptions): Promise<void> {
  if (o.encoding !== 'protobuf' && o.encoding !== 'json') throw new InvalidArgumentError(`--encoding must be protobuf or json, got ${JSON.stringify(o.encoding)}`)
  const durationMs = duration('duration', o.duration)
  const traces = positive('traces', o.traces)
  const maxRetries = count('max-retries', o.maxRetries)
  const retryBackoffMs = duration('retry-backoff', o.retryBackoff)
  const maxBackoffMs = duration('max-backoff', o.maxBackoff)
  const clock = systemClock()
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  // A failing ack log stops the run: going on would leave acknowledged spans unlogged.
  const ackLog = o.ackLog === undefined ? undefined : openAckLog(o.ackLog, () => controller.abort())
  const progress = createProgress({ stream: process.stderr, now: () => clock.now() })
  const summary = await runLoadGen({
    url: o.url,
    rate: positive('rate', o.rate),
    duration: durationMs ?? (traces === undefined ? 10_000 : undefined),
    traces,
    concurrency: positive('concurrency', o.concurrency),
    batchSpans: positive('batch', o.batch),
    encoding: o.encoding,
    gzip: o.gzip === true,
    tenant: o.tenant,
    seed: Number(o.seed),
    maxRetries,
    retryBackoffMs,
    maxBackoffMs,
    clock,
    signal: controller.signal,
    onProgress: (p) => progress.update(p),
    onAccepted: ackLog?.append,
  })
  progress.finish()
  process.stdout.write(formatSummary(summary) + '\n')
  if (summary.spansFailed > 0) process.exitCode = 1
  await ackLog?.close()
}

/** `livestore trace <id>`: fetches a trace from the query API and prints it as a waterfall. */
export async function runTraceCommand (id: string, o: { url: string, tenant?: string }): Promise<void> {
  const trace = await fetchTrace(o.url, id, { tenant: o.tenant })
  if (trace === null) {
    process.stderr.write(`trace ${id} not found\n`)
    process.exitCode = 1
    return
  }
  process.stdout.write(renderWaterfall(trace, { width: process.stdout.columns ?? 120, color: process.stdout.isTTY === true }) + '\n')
}
