/**
 * Test support for search (not used by production code): hand-written CompiledSearch fakes whose
 * match is "for every group of conditions, some span meets all of them" (as TraceQL's
 * `{A} && {B}`), evaluated with the prefilter's own rules (common/search/prefilter-eval.ts), and
 * a TraceStore + BlockStore pair to search.
 */
import { Registry } from 'prom-client'
import { defaultsOf } from '../../common/config-schema.ts'
import type { Resource, Span, TracesData } from '../../common/otlp/model.ts'
import type { PrefilterCondition, PrefilterField, PrefilterIntrinsic, PrefilterOp, PrefilterValue, SpanPrefilter } from '../../common/search/prefilter.ts'
import { conditionMet, firstAttribute } from '../../common/search/prefilter-eval.ts'
import { overridesSchema } from '../../store/config.ts'
import { TraceStore } from '../../store/store.ts'
import { ManualClock } from '../../test/fakes/clock.ts'
import type { BlockStore } from '../../wal/block-store.ts'
import { startStore } from '../../wal/testing/store.ts'
import { tempDir } from '../../wal/testing/tmp.ts'
import type { CompiledSearch, MatchedSpan, TraceMatch } from './types.ts'

export const ROOT_NOT_YET_RECEIVED = '<root span not yet received>'

export const intrinsic = (name: PrefilterIntrinsic): PrefilterField => ({ scope: 'intrinsic', name })
export const resourceAttr = (key: string): PrefilterField => ({ scope: 'resource', key })
export const spanAttr = (key: string): PrefilterField => ({ scope: 'span', key })
export const anyAttr = (key: string): PrefilterField => ({ scope: 'any', key })
export const cond = (field: PrefilterField, op: PrefilterOp, value: PrefilterValue): PrefilterCondition => ({ field, op, value })

interface Located { span: Span, resource: Resource | null }

function spansWithResource (trace: TracesData): Located[] {
  const out: Located[] = []
  for (const rs of trace.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) out.push({ span, resource: rs.resource })
  return out
}

function serviceOf (resource: Resource | null): string {
  const v = firstAttribute(resource?.attributes ?? [], 'service.name')
  return v?.kind === 'string' ? v.value : ''
}

function byStart (a: Span, b: Span): number {
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : Buffer.compare(a.spanId, b.spanId)
}

/** Tempo-like metadata of a trace with these matched spans (one span set). */
export function traceMatchOf (traceId: Buffer, trace: TracesData, matched: readonly Span[], spss: number): TraceMatch {
  const all = spansWithResource(trace)
  let start = all[0]!.span.startTimeUnixNano
  let end = all[0]!.span.endTimeUnixNano
  const serviceStats: TraceMatch['serviceStats'] = {}
  for (const { span, resource } of all) {
    if (span.startTimeUnixNano < start) start = span.startTimeUnixNano
    if (span.endTimeUnixNano > end) end = span.endTimeUnixNano
    const stats = serviceStats[serviceOf(resource)] ??= { spanCount: 0, errorCount: 0 }
    stats.spanCount++
    if (span.status.code === 2) stats.errorCount++
  }
  // The earliest root, and matched spans in (start, span id) order: independent of how the
  // trace's pieces grouped spans under resources.
  const root = all.filter((l) => l.span.parentSpanId.length === 0).sort((a, b) => byStart(a.span, b.span))[0]
  const spans: MatchedSpan[] = [...matched].sort(byStart).slice(0, spss).map((s) => ({
    spanId: s.spanId, name: s.name, startTimeUnixNano: s.startTimeUnixNano, durationNanos: s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n, attributes: [],
  }))
  return {
    traceId,
    rootServiceName: root === undefined ? ROOT_NOT_YET_RECEIVED : serviceOf(root.resource),
    rootTraceName: root?.span.name ?? '',
    startTimeUnixNano: start,
    durationMs: end > start ? Number((end - start) / 1_000_000n) : 0,
    spanSets: [{ spans, matched: matched.length, attributes: [] }],
    serviceStats,
  }
}

/**
 * A query matching traces where, for every group, some span meets all the group's conditions
 * (no groups: every trace, every span). Its prefilter asks a span to meet one group, unless
 * `prefilter` is given (undefined: no pruning).
 */
export function fakeSearch (query: string, groups: readonly (readonly PrefilterCondition[])[], opts: { prefilter?: SpanPrefilter | undefined } = {}): CompiledSearch {
  const prefilter = 'prefilter' in opts ? opts.prefilter : groups.length === 0 ? undefined : { anyOf: groups }
  return {
    query,
    prefilter,
    match (trace, { spss }) {
      const all = spansWithResource(trace)
      if (all.length === 0) return null
      const meets = (l: Located, g: readonly PrefilterCondition[]): boolean => g.every((c) => conditionMet(c, l.span, l.resource))
      if (!groups.every((g) => all.some((l) => meets(l, g)))) return null
      const matched = groups.length === 0 ? all : all.filter((l) => groups.some((g) => meets(l, g)))
      return traceMatchOf(matched[0]!.span.traceId, trace, matched.map((l) => l.span), spss)
    },
  }
}

/** A query no trace matches, with the prefilter that says so (`anyOf: []`). */
export function nothingSearch (): CompiledSearch {
  return { query: '{ false }', prefilter: { anyOf: [] }, match: () => null }
}

export interface SearchFixture {
  store: TraceStore
  blocks: BlockStore
  clock: ManualClock
  /** Moves every trace of the tenant from memory into one new head-block segment. */
  flush (tenant: string, partition?: number): Promise<void>
  close (): Promise<void>
}

/** A TraceStore and a started BlockStore (inline encoder, temp dir) sharing a manual clock. */
export async function searchFixture (opts: { rowGroupRows?: number } = {}): Promise<SearchFixture> {
  const dir = tempDir('livestore-search-')
  const clock = new ManualClock(1_763_700_000_000)
  const { store: blocks } = await startStore(dir.path, {
    clock,
    ...(opts.rowGroupRows === undefined ? {} : { blockOptions: { rowGroupRows: opts.rowGroupRows } }),
  })
  const store = new TraceStore({ limits: { ...defaultsOf(overridesSchema), max_bytes_per_trace: 0 }, clock, registry: new Registry(), flushed: blocks })
  return {
    store,
    blocks,
    clock,
    async flush (tenant, partition = 0) {
      const inst = store.instance(tenant)
      if (inst === undefined) return
      const cut = inst.cut(clock.now(), { max_trace_idle: 0, max_trace_live: 0 }, true)
      if (cut.length === 0) return
      await blocks.flush(tenant, partition, cut.map((t) => ({ traceId: t.id, fragments: t.fragments, createdAtMs: t.createdAtMs, lastAppendMs: t.lastAppendMs })), { first: 0n, last: 0n })
      inst.flushed(cut, true)
    },
    async close () {
      await blocks.stop()
      dir.remove()
    },
  }
}
