import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Registry } from 'prom-client'
import fc from 'fast-check'
import { defaultsOf } from '../../common/config-schema.ts'
import type { ResourceSpans, Span, TracesData } from '../../common/otlp/model.ts'
import type { PrefilterCondition, PrefilterValue, SearchWindow } from '../../common/search/prefilter.ts'
import { attributeScalar, spanDurationNanos } from '../../common/search/prefilter-eval.ts'
import { overridesSchema } from '../../store/config.ts'
import { TraceStore } from '../../store/store.ts'
import { ManualClock } from '../../test/fakes/clock.ts'
import { generateTraces } from '../../tools/index.ts'
import { arbTracesData } from '../../wal/testing/arbitraries.ts'
import { createLocalSearch } from './local.ts'
import { anyAttr, cond, fakeSearch, intrinsic, nothingSearch, resourceAttr, searchFixture, spanAttr } from './testing.ts'
import type { SearchFixture } from './testing.ts'
import type { CompiledSearch, LocalSearch, SearchRequest, TraceMatch } from './types.ts'

/**
 * The same traces searched while only in memory and after being flushed into blocks (head
 * segments, WAL and complete blocks, traces split across them) give the same answers: trace ids,
 * matched span ids, and what match computed over the whole trace.
 */
const NOW_MS = 1_763_700_000_000

function allSpans (data: readonly TracesData[]): { span: Span, rs: ResourceSpans }[] {
  return data.flatMap((td) => td.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, rs })))))
}

/** Deals the spans into `n` batches (keeping resources and scopes), by a seeded choice per span. */
function deal (data: TracesData, n: number, seed: number): TracesData[] {
  let x = seed >>> 0
  const next = (): number => { x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0; return x >>> 16 }
  const out = Array.from({ length: n }, (): TracesData => ({ resourceSpans: [] }))
  for (const rs of data.resourceSpans) {
    const parts = out.map((): ResourceSpans => ({ resource: rs.resource, schemaUrl: rs.schemaUrl, scopeSpans: [] }))
    for (const ss of rs.scopeSpans) {
      const scoped = parts.map(() => ({ scope: ss.scope, schemaUrl: ss.schemaUrl, spans: [] as Span[] }))
      for (const span of ss.spans) scoped[next() % n]!.spans.push(span)
      scoped.forEach((s, i) => { if (s.spans.length > 0) parts[i]!.scopeSpans.push(s) })
    }
    parts.forEach((p, i) => { if (p.scopeSpans.length > 0) out[i]!.resourceSpans.push(p) })
  }
  return out.filter((td) => td.resourceSpans.length > 0)
}

/** What must agree: per trace, its id, the sorted matched span ids, and match's whole-trace figures. */
function summary (traces: readonly TraceMatch[]): string[] {
  return traces.map((t) => JSON.stringify({
    id: t.traceId.toString('hex'),
    spans: t.spanSets.flatMap((s) => s.spans.map((x) => x.spanId.toString('hex'))).sort(),
    matched: t.spanSets.map((s) => s.matched),
    start: t.startTimeUnixNano.toString(),
    durationMs: t.durationMs,
    root: [t.rootServiceName, t.rootTraceName],
    services: Object.entries(t.serviceStats).sort(),
  })).sort()
}

/** A handful of queries built from values present in the data, so they match something. */
function queriesFor (data: readonly TracesData[], pick: (n: number) => number): CompiledSearch[] {
  const spans = allSpans(data)
  const one = (): { span: Span, rs: ResourceSpans } => spans[pick(spans.length)]!
  const qs: CompiledSearch[] = [fakeSearch('{}', []), nothingSearch()]
  const a = one()
  const b = one()
  const attrCond = (scope: 'span' | 'resource' | 'any', attrs: readonly { key: string, value: Parameters<typeof attributeScalar>[0] }[], op: '=' | '!=' | '<' | '>='): PrefilterCondition | undefined => {
    const kv = attrs.find((x) => attributeScalar(x.value) !== undefined)
    if (kv === undefined) return undefined
    const field = scope === 'span' ? spanAttr(kv.key) : scope === 'resource' ? resourceAttr(kv.key) : anyAttr(kv.key)
    return cond(field, op, attributeScalar(kv.value) as PrefilterValue)
  }
  const candidates: (PrefilterCondition | undefined)[][] = [
    [cond(intrinsic('name'), '=', a.span.name)],
    [cond(intrinsic('duration'), '>=', spanDurationNanos(a.span))],
    [cond(intrinsic('status'), '=', BigInt(a.span.status.code)), cond(intrinsic('kind'), '=', BigInt(a.span.kind))],
    [cond(intrinsic('statusMessage'), '!=', '')],
    [attrCond('resource', a.rs.resource?.attributes ?? [], '=')],
    [attrCond('span', a.span.attributes, '=')],
    [attrCond('any', b.span.attributes, '>=')],
    [attrCond('resource', b.rs.resource?.attributes ?? [], '!='), cond(intrinsic('kind'), '!=', 0n)],
    [attrCond('span', b.span.attributes, '<')],
  ]
  for (const group of candidates) {
    if (group.some((c) => c === undefined)) continue
    const conds = group as PrefilterCondition[]
    qs.push(fakeSearch(JSON.stringify(conds, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v), [conds]))
  }
  // Two spans of one trace, possibly in different pieces: `{A} && {B}`.
  const sa = attrCond('resource', a.rs.resource?.attributes ?? [], '=')
  const sameTrace = spans.filter((x) => x.span.traceId.equals(a.span.traceId))
  const other = sameTrace[pick(sameTrace.length)]!
  if (sa !== undefined) qs.push(fakeSearch('{A} && {B}', [[sa], [cond(intrinsic('name'), '=', other.span.name)]]))
  return qs
}

async function answers (local: LocalSearch, tenant: string, queries: readonly CompiledSearch[], requests: readonly Partial<SearchRequest>[]): Promise<string[][]> {
  const out: string[][] = []
  for (const q of queries) {
    for (const r of requests) {
      const res = await local.search(tenant, q, { query: q.query, window: {}, limit: 100_000, spss: 1000, ...r }, new AbortController().signal)
      out.push([`${q.query} ${JSON.stringify(r, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v)}`, ...summary(res.traces)])
    }
  }
  return out
}

describe('search: memory and blocks give the same answers', () => {
  let fx: SearchFixture
  let memory: TraceStore
  let memorySearch: LocalSearch
  let blockSearch: LocalSearch
  let tenantSeq = 0
  before(async () => {
    fx = await searchFixture({ rowGroupRows: 40 })
    const clock = new ManualClock(NOW_MS)
    memory = new TraceStore({ limits: { ...defaultsOf(overridesSchema), max_bytes_per_trace: 0, max_traces_per_user: 0 }, clock, registry: new Registry() })
    memorySearch = createLocalSearch({ store: memory })
    blockSearch = createLocalSearch({ store: fx.store, blocks: fx.blocks, maxConcurrency: 3 })
  })
  after(async () => { await fx.close() })

  /**
   * Pushes the batches into memory (all) and into the block side one by one, flushing each into a
   * block: batch 0 and 1 end as complete blocks (partitions 0 and 1), the rest as segments of a
   * head block (partition 0).
   */
  async function load (tenant: string, batches: readonly TracesData[]): Promise<void> {
    for (const [i, b] of batches.entries()) {
      memory.push(tenant, b)
      fx.store.push(tenant, b)
      await fx.flush(tenant, i === 1 ? 1 : 0)
      if (i <= 1) {
        await fx.blocks.cutBlocks(true)
        await fx.blocks.idle()
      }
    }
    assert.equal(fx.store.liveTraceRefs(tenant).length, 0, 'the block side holds nothing in memory')
  }

  it('realistic traces, each whole in one block, with windows and duration bounds', async () => {
    const tenant = `r${++tenantSeq}`
    const data = generateTraces({ seed: 7, traces: 80, now: NOW_MS, minSpans: 2, maxSpans: 10 })
    // Whole traces per batch: deal traces, not spans.
    const ids = [...new Set(allSpans([data]).map((x) => x.span.traceId.toString('hex')))]
    const batches = [0, 1, 2, 3].map((k) => ({ resourceSpans: data.resourceSpans.map((rs) => ({ ...rs, scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.filter((s) => ids.indexOf(s.traceId.toString('hex')) % 4 === k) })).filter((ss) => ss.spans.length > 0) })).filter((rs) => rs.scopeSpans.length > 0) }))
    await load(tenant, batches)
    let i = 0
    const queries = queriesFor([data], (n) => (i = (i * 7 + 3) % 9973) % n)
    const spans = allSpans([data]).map((x) => x.span)
    const lo = spans.reduce((m, s) => s.startTimeUnixNano < m ? s.startTimeUnixNano : m, spans[0]!.startTimeUnixNano)
    const hi = spans.reduce((m, s) => s.endTimeUnixNano > m ? s.endTimeUnixNano : m, spans[0]!.endTimeUnixNano)
    const mid = (lo + hi) / 2n
    const windows: SearchWindow[] = [{}, { startUnixNano: mid, endUnixNano: mid + (hi - lo) / 10n }, { endUnixNano: lo + (hi - lo) / 3n }]
    const requests: Partial<SearchRequest>[] = [...windows.map((window) => ({ window })), { minDurationNanos: 50_000_000n, maxDurationNanos: 400_000_000n, window: windows[1]! }]
    const fromMemory = await answers(memorySearch, tenant, queries, requests)
    const fromBlocks = await answers(blockSearch, tenant, queries, requests)
    assert.deepStrictEqual(fromBlocks, fromMemory)
    const found = fromMemory.reduce((n, a) => n + a.length - 1, 0)
    assert.ok(found > 50, `the queries match something (${found} answers)`)
    assert.ok(fromMemory.some((a) => a.length === 1), 'and some match nothing')
  })

  it('realistic traces split span by span across complete, WAL and head blocks', async () => {
    const tenant = `s${++tenantSeq}`
    const data = generateTraces({ seed: 8, traces: 50, now: NOW_MS, minSpans: 3, maxSpans: 10 })
    await load(tenant, deal(data, 4, 99))
    let i = 0
    const queries = queriesFor([data], (n) => (i = (i * 13 + 5) % 10007) % n)
    const requests: Partial<SearchRequest>[] = [{}, { minDurationNanos: 30_000_000n }]
    assert.deepStrictEqual(await answers(blockSearch, tenant, queries, requests), await answers(memorySearch, tenant, queries, requests))
  })

  it('arbitrary traces (every value kind, extreme times, missing resources) split across blocks (property)', async () => {
    await fc.assert(fc.asyncProperty(arbTracesData, fc.integer({ min: 0, max: 1 << 20 }), async (raw, seed) => {
      const tenant = `p${++tenantSeq}`
      // Unique span ids: a trace's duplicate spans would keep a different copy per path.
      let n = 0
      const batches = raw.map((td) => ({ resourceSpans: td.resourceSpans.map((rs) => ({ ...rs, scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.map((s) => ({ ...s, spanId: Buffer.from((++n).toString(16).padStart(16, '0'), 'hex') })) })) })) }))
      await load(tenant, batches)
      let i = seed
      const queries = queriesFor(batches, (k) => (i = (i * 31 + 7) % 65_521) % k)
      const requests: Partial<SearchRequest>[] = [{}, { minDurationNanos: 1n << 40n }]
      assert.deepStrictEqual(await answers(blockSearch, tenant, queries, requests), await answers(memorySearch, tenant, queries, requests))
    }), { numRuns: 15 })
  })
})
