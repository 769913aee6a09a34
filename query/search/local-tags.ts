import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { InstrumentationScope, KeyValue, Resource, Span, TracesData } from '../../common/otlp/model.ts'
import type { SearchWindow } from '../../common/search/prefilter.ts'
import { overlapsWindow } from '../../common/search/prefilter-eval.ts'
import type { RowGroupView } from '../../wal/block-search.ts'
import type { Row } from '../../wal/format/v1-rows.ts'
import { INTRINSIC_TAG_NAMES, RowBlobs, tagPlan } from './local-tag-plans.ts'
import type { TagPlan } from './local-tag-plans.ts'
import { emptyMetrics, visitMatches } from './local-visit.ts'
import type { VisitDeps } from './local-visit.ts'
import type { CompiledSearch, TagNamesRequest, TagScope, TagValue, TagValuesRequest, TraceMatch } from './types.ts'

/**
 * Tag names and values of one node's data. Without a filter: every span overlapping the window,
 * in memory and in the blocks (only the columns a scope needs). With a filter: the spans of the
 * filter's span sets in the traces it matches (the root span for trace-level intrinsics; every
 * span when a match lists none). Work stops once `maxBytes` of distinct names or values are held
 * (Tempo's max_bytes_per_tag_values_query) or, for values, `limit` are.
 */
type AttributeScope = 'resource' | 'span' | 'event' | 'link' | 'instrumentation'
const ATTRIBUTE_SCOPES: readonly AttributeScope[] = ['resource', 'span', 'event', 'link', 'instrumentation']
const BLOB_COLUMN: Readonly<Record<AttributeScope, string>> = {
  resource: 'resource_attributes', span: 'attributes', event: 'events', link: 'links', instrumentation: 'scope_attributes',
}
/** Spans per span set asked of a filter: all of them. */
const ALL_SPANS = Number.MAX_SAFE_INTEGER
const YIELD_EVERY = 128

type SpanFn = (span: Span, resource: Resource | null, scope: InstrumentationScope | null) => void

function forEachSpan (trace: TracesData, fn: SpanFn, only?: ReadonlySet<string>): void {
  for (const rs of trace.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        if (only === undefined || only.has(span.spanId.toString('hex'))) fn(span, rs.resource, ss.scope)
      }
    }
  }
}

/** The hex ids of the spans a match lists, or undefined when it lists none (then every span counts). */
function matchedSpanIds (match: TraceMatch): Set<string> | undefined {
  const ids = new Set<string>()
  for (const set of match.spanSets) for (const s of set.spans) ids.add(s.spanId.toString('hex'))
  return ids.size === 0 ? undefined : ids
}

/**
 * Calls `fn` for the spans that count: with a filter, those of matching traces (see above);
 * without, every span overlapping the window in memory, then `rows` for the blocks' rows.
 * `done` ends the walk early.
 */
async function walk (
  deps: VisitDeps, tenant: string, window: SearchWindow, filter: CompiledSearch | undefined, signal: AbortSignal,
  opts: { traceLevel: boolean, done: () => boolean, span: SpanFn, columns: (g: RowGroupView) => readonly string[] | null, rows: (rows: Row[]) => void },
): Promise<void> {
  if (filter !== undefined) {
    await visitMatches(deps, tenant, { search: filter, window, spss: ALL_SPANS }, signal, emptyMetrics(), (_key, match, trace) => {
      forEachSpan(trace, opts.span, opts.traceLevel ? undefined : matchedSpanIds(match))
      return opts.done()
    })
    return
  }
  signal.throwIfAborted()
  let n = 0
  for (const ref of deps.memory.liveTraceRefs(tenant)) {
    if (++n % YIELD_EVERY === 0) await yieldToEventLoop()
    signal.throwIfAborted()
    forEachSpan(ref.decode(), (span, resource, scope) => {
      if (overlapsWindow(span.startTimeUnixNano, span.endTimeUnixNano, window)) opts.span(span, resource, scope)
    })
    if (opts.done()) return
  }
  if (deps.blocks === undefined) return
  const stop = new AbortController()
  try {
    const groups = deps.blocks.scanBlockRows(tenant, {
      window,
      signal: AbortSignal.any([signal, stop.signal]),
      concurrency: deps.concurrency,
      columns: (g) => opts.done() ? null : opts.columns(g),
    })
    for await (const rows of groups) {
      opts.rows(rows)
      if (opts.done()) {
        stop.abort()
        return
      }
    }
  } catch (err) {
    signal.throwIfAborted()
    throw err
  } finally {
    stop.abort()
  }
}

export async function collectTagNames (deps: VisitDeps, tenant: string, req: TagNamesRequest, signal: AbortSignal, maxBytes: number): Promise<Map<TagScope, Set<string>>> {
  const wanted: TagScope[] = req.scope === undefined ? [...ATTRIBUTE_SCOPES, 'intrinsic'] : [req.scope]
  const out = new Map<TagScope, Set<string>>(wanted.map((s) => [s, new Set<string>()]))
  if (wanted.includes('intrinsic')) for (const n of INTRINSIC_TAG_NAMES) out.get('intrinsic')!.add(n)
  const scopes = ATTRIBUTE_SCOPES.filter((s) => wanted.includes(s))
  if (scopes.length === 0) {
    signal.throwIfAborted()
    return out
  }
  let bytes = 0
  const addAll = (scope: AttributeScope, attrs: readonly KeyValue[]): void => {
    const set = out.get(scope)!
    for (const kv of attrs) {
      if (set.has(kv.key)) continue
      set.add(kv.key)
      bytes += Buffer.byteLength(kv.key)
    }
  }
  const seenObjects = new Set<object>()
  await walk(deps, tenant, req.window, req.filter, signal, {
    traceLevel: false,
    done: () => bytes >= maxBytes,
    span: (span, resource, scope) => {
      for (const s of scopes) {
        if (s === 'span') addAll(s, span.attributes)
        else if (s === 'event') for (const e of span.events) addAll(s, e.attributes)
        else if (s === 'link') for (const l of span.links) addAll(s, l.attributes)
        else {
          const holder = s === 'resource' ? resource : scope
          if (holder === null || seenObjects.has(holder)) continue
          seenObjects.add(holder)
          addAll(s, holder.attributes)
        }
      }
    },
    columns: () => scopes.map((s) => BLOB_COLUMN[s]),
    rows: (rows) => {
      const blobs = new RowBlobs()
      const seenBlobs = new Set<Uint8Array>()
      for (const row of rows) {
        for (const s of scopes) {
          if (s === 'span') addAll(s, blobs.spanAttributes(row))
          else if (s === 'event') for (const e of blobs.events(row)) addAll(s, e.attributes)
          else if (s === 'link') for (const l of blobs.links(row)) addAll(s, l.attributes)
          else {
            const column = s === 'resource' ? 'resource_attributes' : 'scope_attributes'
            const blob = row[column]
            if (!(blob instanceof Uint8Array) || seenBlobs.has(blob)) continue
            seenBlobs.add(blob)
            addAll(s, blobs.shared(row, column))
          }
        }
      }
    },
  })
  return out
}

export async function collectTagValues (deps: VisitDeps, tenant: string, req: TagValuesRequest, signal: AbortSignal, maxBytes: number): Promise<TagValue[]> {
  const plan: TagPlan = tagPlan(req.tag)
  const limit = Math.max(0, req.limit)
  if (plan.fixed !== undefined) {
    signal.throwIfAborted()
    return plan.fixed.slice(0, limit)
  }
  const found = new Map<string, TagValue>()
  let bytes = 0
  const done = (): boolean => found.size >= limit || bytes >= maxBytes
  const emit = (v: TagValue): void => {
    if (done()) return
    const key = `${v.type}\u0000${v.value}`
    if (found.has(key)) return
    found.set(key, v)
    bytes += Buffer.byteLength(v.value)
  }
  await walk(deps, tenant, req.window, req.filter, signal, {
    traceLevel: plan.traceLevel === true,
    done,
    span: (span, resource, scope) => plan.fromSpan(span, resource, scope, emit),
    columns: (g) => plan.columns(g, emit),
    rows: (rows) => {
      const blobs = new RowBlobs()
      for (const row of rows) {
        plan.fromRow(row, blobs, emit)
        if (done()) return
      }
    },
  })
  return [...found.values()].sort((a, b) => a.type < b.type ? -1 : a.type > b.type ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
}
