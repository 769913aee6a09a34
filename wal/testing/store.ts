import { pino } from 'pino'
import { Registry } from 'prom-client'
import { encodeTracesProto } from '../../common/otlp/encode-proto.ts'
import type { TracesData } from '../../common/otlp/model.ts'
import { splitByTrace } from '../../common/otlp/split.ts'
import { ManualClock } from '../../test/fakes/clock.ts'
import { BlockStore } from '../block-store.ts'
import type { BlockStoreOptions } from '../block-store.ts'
import type { CutTrace } from '../cut-trace.ts'
import { inlineBlockEncoder } from '../encoder.ts'

/** Test helpers for the block lifecycle: cut traces, a store on a manual clock, logs and metrics. */

/** Each trace of `data` as a CutTrace of one or two fragments (its ResourceSpans split in halves). */
export function cutTraces (data: TracesData, createdAtMs: number, lastAppendMs = createdAtMs): CutTrace[] {
  const out: CutTrace[] = []
  for (const [hex, t] of splitByTrace(data)) {
    const half = Math.ceil(t.resourceSpans.length / 2)
    const parts = half < t.resourceSpans.length
      ? [{ resourceSpans: t.resourceSpans.slice(0, half) }, { resourceSpans: t.resourceSpans.slice(half) }]
      : [t]
    out.push({ traceId: Buffer.from(hex, 'hex'), fragments: parts.map((p) => encodeTracesProto(p)), createdAtMs, lastAppendMs })
  }
  return out
}

export function testConfig (overrides: Partial<BlockStoreOptions['config']> = {}): BlockStoreOptions['config'] {
  return {
    wal: { path: 'unused', ingestion_time_range_slack: 2 * 60_000 },
    max_block_duration: 30_000,
    max_block_bytes: 50 * 1024 * 1024,
    complete_block_concurrency: 2,
    block_reclaim_grace: 2 * 60_000,
    flush_op_timeout: 5 * 60_000,
    complete_block_timeout: 20 * 60_000,
    ...overrides,
  }
}

export interface LogLine { level: number, msg: string, [k: string]: unknown }

/** A pino logger that keeps every line (as parsed JSON) in `lines`. */
export function capturingLogger (): { logger: pino.Logger, lines: LogLine[] } {
  const lines: LogLine[] = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as LogLine) } })
  return { logger, lines }
}

export interface TestStore {
  store: BlockStore
  clock: ManualClock
  registry: Registry
  lines: LogLine[]
}

export type TestStoreOptions = Partial<Omit<BlockStoreOptions, 'root'>> & { configOverrides?: Partial<BlockStoreOptions['config']> }

/** Block ids unique within the test process (a restarted store must not reuse its predecessor's). */
let blockSeq = 0

/** A started BlockStore on `root` with an inline encoder, a manual clock and a fresh registry. */
export async function startStore (root: string, opts: TestStoreOptions = {}): Promise<TestStore> {
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock(1_763_700_000_000)
  const registry = opts.registry ?? new Registry()
  const { logger, lines } = capturingLogger()
  const store = new BlockStore({
    root,
    clock,
    registry,
    logger: opts.logger ?? logger,
    encoder: opts.encoder ?? inlineBlockEncoder(),
    config: opts.config ?? testConfig(opts.configOverrides),
    newBlockId: opts.newBlockId ?? (() => `block-${++blockSeq}`),
    completionBackoff: opts.completionBackoff ?? { initialMs: 1000, maxMs: 4000 },
    ...(opts.maxCompletionAttempts === undefined ? {} : { maxCompletionAttempts: opts.maxCompletionAttempts }),
    ...(opts.blockOptions === undefined ? {} : { blockOptions: opts.blockOptions }),
  })
  await store.start(new AbortController().signal)
  return { store, clock, registry, lines }
}

/** The value of one series (0 when absent); `series` picks a histogram's `_count` or `_sum`. */
export async function metric (registry: Registry, name: string, labels: Record<string, string> = {}, series = name): Promise<number> {
  const m = registry.getSingleMetric(name)
  if (m === undefined) return 0
  const { values } = await m.get()
  const hit = values.find((v) => ((v as { metricName?: string }).metricName ?? name) === series && Object.entries(labels).every(([k, val]) => v.labels[k] === val))
  return hit?.value ?? 0
}

/** Lets pending promise callbacks and I/O callbacks run (real I/O is in flight under a manual clock). */
export function tick (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Polls `cond` (real time, every few ms) until it holds; fails after `timeoutMs`. */
export async function waitFor (cond: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
