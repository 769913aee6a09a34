import { parseDuration } from '../common/config-schema.ts'
import { InvalidArgumentError } from '../common/errors.ts'
import { createProgress, fetchTrace, formatSummary, renderWaterfall, runLoadGen } from '../tools/index.ts'
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
}

function positive (name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--${name} must be a positive number, got ${JSON.stringify(v)}`)
  return n
}

/** `livestore gen`: realistic OTLP load at a target rate, with a progress bar and a summary. */
export async function runGenCommand (o: GenOptions): Promise<void> {
  if (o.encoding !== 'protobuf' && o.encoding !== 'json') throw new InvalidArgumentError(`--encoding must be protobuf or json, got ${JSON.stringify(o.encoding)}`)
  const durationMs = o.duration === undefined ? undefined : parseDuration(o.duration)
  if (durationMs === null) throw new InvalidArgumentError(`--duration must be a duration such as 30s or 5m, got ${JSON.stringify(o.duration)}`)
  const traces = positive('traces', o.traces)
  const clock = systemClock()
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
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
    clock,
    signal: controller.signal,
    onProgress: (p) => progress.update(p),
  })
  progress.finish()
  process.stdout.write(formatSummary(summary) + '\n')
  if (summary.spansFailed > 0) process.exitCode = 1
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
