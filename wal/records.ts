import type { InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span, TracesData } from '../common/otlp/model.ts'

/**
 * A span with the resource and scope it was sent under: one row of a block, independent of the
 * format version. Resource and scope objects are shared between records (not copied).
 */
export interface SpanRecord {
  span: Span
  resource: Resource | null
  resourceSchemaUrl: string
  scope: InstrumentationScope | null
  scopeSchemaUrl: string
}

/** Every span of `traces`, in input order. */
export function flattenTraces (traces: readonly TracesData[]): SpanRecord[] {
  const out: SpanRecord[] = []
  for (const td of traces) {
    for (const rs of td.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          out.push({ span, resource: rs.resource, resourceSchemaUrl: rs.schemaUrl, scope: ss.scope, scopeSchemaUrl: ss.schemaUrl })
        }
      }
    }
  }
  return out
}

/**
 * Sorts records by trace id (unsigned bytes) then start time, keeping input order for ties.
 * Records are bucketed by trace id first (a hash map, linear), then only the distinct ids are
 * sorted, as latin1 strings: one char per byte, so string order is byte order. Then each trace's
 * spans are sorted by start time (a stable sort of a few spans).
 */
export function sortRecords (records: readonly SpanRecord[]): SpanRecord[] {
  const byTrace = new Map<string, SpanRecord[]>()
  for (const r of records) {
    const key = latin1(r.span.traceId)
    const list = byTrace.get(key)
    if (list === undefined) byTrace.set(key, [r])
    else list.push(r)
  }
  const out: SpanRecord[] = []
  for (const key of [...byTrace.keys()].sort()) {
    const list = byTrace.get(key)!
    if (list.length > 1) list.sort((a, b) => a.span.startTimeUnixNano < b.span.startTimeUnixNano ? -1 : a.span.startTimeUnixNano > b.span.startTimeUnixNano ? 1 : 0)
    for (const r of list) out.push(r)
  }
  return out
}

function latin1 (b: Uint8Array): string {
  return Buffer.isBuffer(b) ? b.toString('latin1') : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
}

/**
 * Rebuilds TracesData from records: one ResourceSpans per distinct (resource object, schema URL)
 * and within it one ScopeSpans per (scope object, schema URL), in first-seen order, spans in
 * record order. Records decoded from a block share resource and scope objects by content, so
 * grouping by identity groups by content.
 */
export function groupRecords (records: Iterable<SpanRecord>): TracesData {
  const resourceSpans: ResourceSpans[] = []
  const byResource = new Map<Resource | null, Map<string, { rs: ResourceSpans, scopes: Map<InstrumentationScope | null, Map<string, ScopeSpans>> }>>()
  for (const r of records) {
    let bySchema = byResource.get(r.resource)
    if (bySchema === undefined) byResource.set(r.resource, bySchema = new Map())
    let group = bySchema.get(r.resourceSchemaUrl)
    if (group === undefined) {
      group = { rs: { resource: r.resource, scopeSpans: [], schemaUrl: r.resourceSchemaUrl }, scopes: new Map() }
      bySchema.set(r.resourceSchemaUrl, group)
      resourceSpans.push(group.rs)
    }
    let scopeBySchema = group.scopes.get(r.scope)
    if (scopeBySchema === undefined) group.scopes.set(r.scope, scopeBySchema = new Map())
    let ss = scopeBySchema.get(r.scopeSchemaUrl)
    if (ss === undefined) {
      ss = { scope: r.scope, spans: [], schemaUrl: r.scopeSchemaUrl }
      scopeBySchema.set(r.scopeSchemaUrl, ss)
      group.rs.scopeSpans.push(ss)
    }
    ss.spans.push(r.span)
  }
  return { resourceSpans }
}
