import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import pino from 'pino'
import { defaultsOf } from '../common/config-schema.ts'
import { decodeTracesProto } from '../common/otlp/index.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { ManualClock } from '../test/fakes/clock.ts'
import { liveTracesSchema, overridesSchema } from './config.ts'
import { TraceFlusher } from './flusher.ts'
import type { CutTraceInput, FlushReport, HeadBlocks } from './flusher.ts'
import { TraceStore } from './store.ts'
import { batch, makeSpan, spansOf, traceIdOf, tracesData } from './testing.ts'

interface Flush { tenant: string, partition: number, ids: string[], offsets: { first: bigint, last: bigint } }

/** Head blocks in memory: records every flush, serves flushed traces, can be made to fail. */
class FakeHeadBlocks implements HeadBlocks {
  readonly flushes: Flush[] = []
  readonly cuts: boolean[] = []
  readonly held = new Map<string, TracesData[]>()
  failNext = 0
  /** While set, flushes wait for it (to observe the in-between state). */
  gate: Promise<void> | undefined

  async flush (tenant: string, partition: number, traces: readonly CutTraceInput[], offsets: { first: bigint, last: bigint }): Promise<FlushReport> {
    await this.gate
    if (this.failNext > 0) { this.failNext--; throw new Error('disk full') }
    this.flushes.push({ tenant, partition, ids: traces.map((t) => t.traceId.toString('hex').replace(/^0+/, '')), offsets })
    for (const t of traces) {
      const key = `${tenant}/${t.traceId.toString('hex')}`
      this.held.set(key, [...(this.held.get(key) ?? []), ...t.fragments.map((f) => decodeTracesProto(f))])
    }
    return { warnings: { rootless_trace_flushed_to_wal: traces.length, outside_ingestion_time_slack: 0 } }
  }

  async cutBlocks (immediate: boolean): Promise<void> { this.cuts.push(immediate) }

  async findTrace (tenant: string, id: Buffer): Promise<TracesData[]> { return this.held.get(`${tenant}/${id.toString('hex')}`) ?? [] }
}

function setup (cfg: Partial<typeof defaults> = {}) {
  const clock = new ManualClock()
  const blocks = new FakeHeadBlocks()
  const registry = new Registry()
  const store = new TraceStore({ limits: defaultsOf(overridesSchema), clock, registry, flushed: blocks })
  const config = { ...defaults, ...cfg }
  const flusher = new TraceFlusher({ store, blocks, config, clock, logger: pino({ level: 'silent' }) })
  const push = (trace: string, span: string, offset: number, partition = 0): void => {
    store.push('t', tracesData(batch('svc', [makeSpan(trace, span)])), clock.now(), { partition, offset: BigInt(offset) })
    store.watermarks.consumed(partition, BigInt(offset + 1))
  }
  return { clock, blocks, store, flusher, push, config, registry }
}
const defaults = defaultsOf(liveTracesSchema)

/** A promise the test opens itself (lib is ES2023: no Promise.withResolvers in the types). */
function gated (): { gate: Promise<void>, open: () => void } {
  let open = (): void => undefined
  const gate = new Promise<void>((resolve) => { open = resolve })
  return { gate, open }
}

describe('TraceFlusher', () => {
  it('has Tempo\'s defaults', () => {
    assert.deepEqual(defaults, { max_trace_idle: 5000, max_trace_live: 30_000, flush_check_period: 5000, max_live_traces_bytes: 250_000_000 })
  })

  it('flushes traces idle for max_trace_idle by record time, sorted by id, then commits past them', async () => {
    const { clock, blocks, store, flusher, push, registry } = setup()
    push('b', '1', 0)
    push('a', '2', 1)
    clock.advance(3000)
    push('c', '3', 2)
    assert.equal(store.watermarks.watermark(0), 0n)
    clock.advance(2500) // a, b idle 5.5 s; c 2.5 s
    await flusher.tick(false)
    assert.deepEqual(blocks.flushes.map((f) => f.ids), [['a', 'b']])
    assert.deepEqual(blocks.flushes[0]?.offsets, { first: 0n, last: 1n })
    assert.equal(store.watermarks.watermark(0), 2n, 'c (offset 2) is still only in memory')
    assert.equal(store.instance('t')?.liveTraces, 1)
    clock.advance(5000)
    await flusher.tick(false)
    assert.equal(store.watermarks.watermark(0), 3n)
    assert.deepEqual(blocks.cuts, [false, false])
    // The head block's data-quality findings are counted per tenant and reason.
    const warnings = await registry.getSingleMetric('tempo_warnings_total')?.get()
    assert.deepEqual(warnings?.values.map((v) => [v.labels.reason, v.value]), [['rootless_trace_flushed_to_wal', 3]])
    // The trace is found whole through the store, from the blocks.
    assert.deepEqual(spansOf(await store.findTraceById('t', traceIdOf('a'))).map((s) => s.name), ['span-2'])
  })

  it('cuts a trace that keeps receiving after max_trace_live; later spans start a new segment', async () => {
    const { clock, blocks, store, flusher, push } = setup()
    let offset = 0
    for (let i = 0; i < 8; i++) { push('a', String(i + 1), offset++); clock.advance(4000) } // never idle 5 s
    await flusher.tick(false) // created 32 s ago ≥ 30 s: cut though active
    assert.deepEqual(blocks.flushes.map((f) => f.ids), [['a']])
    push('a', '99', offset)
    assert.equal(store.instance('t')?.liveTraces, 1, 'a new segment of the same trace')
    const all = await store.findTraceById('t', traceIdOf('a'))
    assert.equal(spansOf(all).length, 9, 'memory and block pieces merge into one trace')
  })

  it('keeps a trace readable and its offset uncommitted while its flush runs or after it failed', async () => {
    const { clock, blocks, store, flusher, push } = setup()
    push('a', '1', 7)
    clock.advance(6000)
    const { gate, open } = gated()
    blocks.gate = gate
    const tick = flusher.tick(false)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(store.instance('t')?.liveTraces, 0)
    assert.equal(spansOf(store.findLiveTrace('t', traceIdOf('a'))).length, 1, 'readable while flushing')
    assert.equal(store.watermarks.watermark(0), 7n)
    blocks.failNext = 1
    open()
    await tick
    assert.equal(store.watermarks.watermark(0), 7n, 'a failed flush commits nothing')
    assert.equal(spansOf(store.findLiveTrace('t', traceIdOf('a'))).length, 1, 'still readable after the failure')
    assert.ok((store.instance('t')?.liveBytes ?? 0) > 0, 'still counted against the memory limit')
    await flusher.tick(false) // retried
    assert.deepEqual(blocks.flushes.map((f) => f.ids), [['a']])
    assert.equal(store.watermarks.watermark(0), 8n)
    assert.equal(store.instance('t')?.liveBytes, 0)
  })

  it('flushes per partition, and everything with an immediate cut on stop', async () => {
    const { clock, blocks, store, flusher, push } = setup()
    await flusher.start(new AbortController().signal)
    push('a', '1', 0, 0)
    push('b', '2', 5, 1)
    clock.advance(1000)
    await flusher.stop()
    assert.deepEqual(blocks.flushes.map((f) => [f.partition, f.ids]).sort(), [[0, ['a']], [1, ['b']]])
    assert.deepEqual(blocks.cuts, [true])
    assert.equal(store.watermarks.watermark(0), 1n)
    assert.equal(store.watermarks.watermark(1), 6n)
    assert.equal(clock.pendingTimers, 0)
  })

  it('runs on flush_check_period and never overlaps two ticks', async () => {
    const { clock, blocks, flusher, push } = setup({ flush_check_period: 1000, max_trace_idle: 500 })
    await flusher.start(new AbortController().signal)
    push('a', '1', 0)
    const { gate, open } = gated()
    blocks.gate = gate
    clock.advance(1000) // tick 1 starts and blocks
    clock.advance(1000) // tick 2 waits for tick 1
    open()
    blocks.gate = undefined
    await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(blocks.flushes.map((f) => f.ids), [['a']])
    assert.equal(blocks.cuts.length, 2)
    await flusher.stop()
  })
})
