/**
 * The bodies of the search endpoints in Tempo's JSON (tempo-behaviour.md §6.2): gogo jsonpb of
 * `tempopb.SearchResponse`, `SearchTagsResponse`, `SearchTagsV2Response`,
 * `SearchTagValuesResponse` and `SearchTagValuesV2Response`. Fields in proto order, zero values
 * omitted, 64-bit integers as strings, map keys sorted (as jsonpb writes them).
 *
 * One deliberate difference: the top-level list (`traces`, `tagNames`, `scopes`, `tagValues`) is
 * written even when empty (`"traces":[]`), where jsonpb would leave it out; clients written
 * against either form read it.
 *
 * `partial` adds our partial-answer fields (difference (d), as the v2 trace API does):
 * `"status":"PARTIAL","message":…` and `"missingPartitions":[…]` when some are missing.
 */
import { JsonMembers, encodeAttributesJson } from '../../common/otlp/encode-json.ts'
import type { KeyValue } from '../../common/otlp/model.ts'
import type { MatchedSpan, SearchMetrics, SearchResult, SpanSet, TagScope, TagValue, TraceMatch } from './types.ts'

/** Why an answer may be incomplete (undefined reason: complete). */
export interface PartialInfo {
  reason?: string
  missingPartitions?: readonly number[]
}

export function searchResponseJson (result: SearchResult, partial: PartialInfo = {}): string {
  return `{"traces":[${result.traces.map(traceJson).join(',')}],"metrics":${searchMetricsJson(result.metrics)}${partialJson(partial)}}`
}

/** `TraceSearchMetadata`: trimmed hex trace id, the deprecated `spanSet` (the first span set) before `spanSets`. */
export function traceJson (t: TraceMatch): string {
  const m = new JsonMembers()
  m.str('traceID', traceIdHex(t.traceId))
  m.str('rootServiceName', t.rootServiceName)
  m.str('rootTraceName', t.rootTraceName)
  m.u64('startTimeUnixNano', t.startTimeUnixNano)
  m.uint('durationMs', t.durationMs)
  const first = t.spanSets[0]
  if (first !== undefined) m.add('spanSet', spanSetJson(first))
  if (t.spanSets.length > 0) m.add('spanSets', `[${t.spanSets.map(spanSetJson).join(',')}]`)
  const services = Object.keys(t.serviceStats).sort(byCodePoint)
  if (services.length > 0) {
    m.add('serviceStats', `{${services.map((name) => {
      const s = t.serviceStats[name] as { spanCount: number, errorCount: number }
      const stats = new JsonMembers()
      stats.uint('spanCount', s.spanCount)
      stats.uint('errorCount', s.errorCount)
      return `${JSON.stringify(name)}:${stats.toString()}`
    }).join(',')}}`)
  }
  return m.toString()
}

function spanSetJson (s: SpanSet): string {
  const m = new JsonMembers()
  if (s.spans.length > 0) m.add('spans', `[${s.spans.map(spanJson).join(',')}]`)
  m.uint('matched', s.matched)
  attributes(m, s.attributes)
  return m.toString()
}

function spanJson (s: MatchedSpan): string {
  const m = new JsonMembers()
  m.str('spanID', spanIdHex(s.spanId))
  m.str('name', s.name)
  m.u64('startTimeUnixNano', s.startTimeUnixNano)
  m.u64('durationNanos', s.durationNanos)
  attributes(m, s.attributes)
  return m.toString()
}

function attributes (m: JsonMembers, attrs: readonly KeyValue[]): void {
  if (attrs.length > 0) m.add('attributes', encodeAttributesJson(attrs, 'tempo'))
}

/** `SearchMetrics` in proto field order; uint64 fields as strings; zeros left out. */
export function searchMetricsJson (metrics: SearchMetrics): string {
  const m = new JsonMembers()
  m.uint('inspectedTraces', metrics.inspectedTraces)
  m.u64('inspectedBytes', metrics.inspectedBytes)
  m.uint('totalBlocks', metrics.totalBlocks)
  m.uint('completedJobs', metrics.completedJobs)
  m.uint('totalJobs', metrics.totalJobs)
  m.u64('totalBlockBytes', metrics.totalBlockBytes)
  m.u64('inspectedSpans', metrics.inspectedSpans)
  return m.toString()
}

/** The tag endpoints carry no metrics of their own (LocalSearch reports none): `{}`. */
const EMPTY_METRICS = '{}'

/** v1: every name of the given scopes, once, sorted. */
export function tagNamesV1Json (scopes: ReadonlyMap<TagScope, ReadonlySet<string>>, partial: PartialInfo = {}): string {
  const names = new Set<string>()
  for (const set of scopes.values()) for (const n of set) names.add(n)
  return `{"tagNames":${stringList([...names])},"metrics":${EMPTY_METRICS}${partialJson(partial)}}`
}

/** The order of the v2 scopes in an answer; scopes without names are left out. */
export const SCOPE_ORDER: readonly TagScope[] = ['resource', 'span', 'event', 'link', 'instrumentation', 'intrinsic', 'trace']

export function tagNamesV2Json (scopes: ReadonlyMap<TagScope, ReadonlySet<string>>, partial: PartialInfo = {}): string {
  const entries = SCOPE_ORDER
    .filter((s) => (scopes.get(s)?.size ?? 0) > 0)
    .map((s) => `{"name":"${s}","tags":${stringList([...(scopes.get(s) as ReadonlySet<string>)])}}`)
  return `{"scopes":[${entries.join(',')}],"metrics":${EMPTY_METRICS}${partialJson(partial)}}`
}

/** v1: the values as strings, each once, sorted. */
export function tagValuesV1Json (values: readonly TagValue[], partial: PartialInfo = {}): string {
  return `{"tagValues":${stringList([...new Set(values.map((v) => v.value))])},"metrics":${EMPTY_METRICS}${partialJson(partial)}}`
}

/** v2: typed values (`{"type":"string","value":"a"}`), in the order given (merge.ts sorts them). */
export function tagValuesV2Json (values: readonly TagValue[], partial: PartialInfo = {}): string {
  const items = values.map((v) => {
    const m = new JsonMembers()
    m.str('type', v.type)
    m.str('value', v.value)
    return m.toString()
  })
  return `{"tagValues":[${items.join(',')}],"metrics":${EMPTY_METRICS}${partialJson(partial)}}`
}

function partialJson (p: PartialInfo): string {
  let out = p.reason === undefined ? '' : `,"status":"PARTIAL","message":${JSON.stringify(p.reason)}`
  if (p.missingPartitions !== undefined && p.missingPartitions.length > 0) out += `,"missingPartitions":${JSON.stringify(p.missingPartitions)}`
  return out
}

/** Tempo's `TraceIDToHexString`: lower-case hex, leading zeros removed. */
export function traceIdHex (id: Uint8Array): string {
  return Buffer.from(id).toString('hex').replace(/^0+/, '')
}

/** Tempo's `SpanIDToHexString`: hex left-padded to 16 characters. */
export function spanIdHex (id: Uint8Array): string {
  return Buffer.from(id).toString('hex').replace(/^0+/, '').padStart(16, '0')
}

function stringList (items: string[]): string {
  return JSON.stringify(items.sort(byCodePoint))
}

/** Go's string order (bytes of UTF-8 = code points), which differs from `<` only above U+FFFF. */
export function byCodePoint (a: string, b: string): number {
  if (a === b) return 0
  const la = a.length
  const lb = b.length
  for (let i = 0; i < la && i < lb; i++) {
    const ca = a.codePointAt(i) as number
    const cb = b.codePointAt(i) as number
    if (ca !== cb) return ca < cb ? -1 : 1
    if (ca > 0xffff) i++
  }
  return la - lb
}
