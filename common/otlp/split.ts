import type { AnyValue, InstrumentationScope, KeyValue, Resource, ResourceSpans, ScopeSpans, TracesData } from './model.ts'

/**
 * Regrouping of TracesData by trace, for ingest (one Kafka record per trace) and the store
 * (appending a trace's fragments).
 */

/** Number of spans in a request. */
export function countSpans (data: TracesData): number {
  let n = 0
  for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length
  return n
}

/**
 * Splits a request by trace id (lower-case hex; spans without a valid id land under the hex of
 * whatever bytes they have, '' for none; validation is the caller's job). Each span stays under its
 * original resource and scope: a trace's fragment has one ResourceSpans per original
 * ResourceSpans and one ScopeSpans per original ScopeSpans that held its spans, in input order,
 * sharing the resource and scope objects (not copies). Traces appear in first-seen order.
 */
export function splitByTrace (data: TracesData): Map<string, TracesData> {
  const out = new Map<string, TracesData>()
  // Per trace, the fragment's current ResourceSpans/ScopeSpans and which input groups they mirror.
  const open = new Map<string, { rs: ResourceSpans, ss: ScopeSpans, rsIndex: number, ssIndex: number }>()
  let lastKey = ''
  let lastId: Buffer | null = null
  const resourceSpans = data.resourceSpans
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r]!
    for (let s = 0; s < rs.scopeSpans.length; s++) {
      const ss = rs.scopeSpans[s]!
      for (const span of ss.spans) {
        // Consecutive spans usually share a trace: skip the hex conversion then.
        const key = lastId !== null && span.traceId.equals(lastId) ? lastKey : span.traceId.toString('hex')
        lastId = span.traceId
        lastKey = key
        let cur = open.get(key)
        if (cur === undefined) {
          const fragment: TracesData = { resourceSpans: [] }
          out.set(key, fragment)
          cur = { rs: newResourceSpans(rs), ss: newScopeSpans(ss), rsIndex: r, ssIndex: s }
          cur.rs.scopeSpans.push(cur.ss)
          fragment.resourceSpans.push(cur.rs)
          open.set(key, cur)
        } else if (cur.rsIndex !== r) {
          cur.rs = newResourceSpans(rs)
          cur.ss = newScopeSpans(ss)
          cur.rs.scopeSpans.push(cur.ss)
          out.get(key)!.resourceSpans.push(cur.rs)
          cur.rsIndex = r
          cur.ssIndex = s
        } else if (cur.ssIndex !== s) {
          cur.ss = newScopeSpans(ss)
          cur.rs.scopeSpans.push(cur.ss)
          cur.ssIndex = s
        }
        cur.ss.spans.push(span)
      }
    }
  }
  return out
}

function newResourceSpans (rs: ResourceSpans): ResourceSpans {
  return { resource: rs.resource, scopeSpans: [], schemaUrl: rs.schemaUrl }
}

function newScopeSpans (ss: ScopeSpans): ScopeSpans {
  return { scope: ss.scope, spans: [], schemaUrl: ss.schemaUrl }
}

/**
 * Concatenates several TracesData (e.g. one trace's fragments from many Kafka records) into one,
 * merging ResourceSpans whose resource and schema URL are equal (same object, or same content)
 * and, within them, ScopeSpans whose scope and schema URL are equal. Spans are kept as they are,
 * in input order; duplicates are not removed. The inputs are not modified; resource and scope
 * objects are shared with them.
 */
export function mergeTraces (parts: readonly TracesData[]): TracesData {
  const resourceSpans: ResourceSpans[] = []
  const byResource = new Map<string, { rs: ResourceSpans, byScope: Map<string, ScopeSpans> }>()
  const keys = new KeyCache()
  for (const part of parts) {
    for (const rs of part.resourceSpans) {
      const rkey = keys.resource(rs.resource) + '\u0000' + rs.schemaUrl
      let group = byResource.get(rkey)
      if (group === undefined) {
        group = { rs: { resource: rs.resource, scopeSpans: [], schemaUrl: rs.schemaUrl }, byScope: new Map() }
        byResource.set(rkey, group)
        resourceSpans.push(group.rs)
      }
      for (const ss of rs.scopeSpans) {
        const skey = keys.scope(ss.scope) + '\u0000' + ss.schemaUrl
        let merged = group.byScope.get(skey)
        if (merged === undefined) {
          merged = { scope: ss.scope, spans: [], schemaUrl: ss.schemaUrl }
          group.byScope.set(skey, merged)
          group.rs.scopeSpans.push(merged)
        }
        for (const span of ss.spans) merged.spans.push(span)
      }
    }
  }
  return { resourceSpans }
}

/** Content keys of resources and scopes, computed once per object (fragments often share them). */
class KeyCache {
  private readonly resources = new Map<Resource, string>()
  private readonly scopes = new Map<InstrumentationScope, string>()

  resource (r: Resource | null): string {
    if (r === null) return 'null'
    let k = this.resources.get(r)
    if (k === undefined) {
      k = `${r.droppedAttributesCount}:${attributesKey(r.attributes)}`
      this.resources.set(r, k)
    }
    return k
  }

  scope (s: InstrumentationScope | null): string {
    if (s === null) return 'null'
    let k = this.scopes.get(s)
    if (k === undefined) {
      k = `${JSON.stringify(s.name)}:${JSON.stringify(s.version)}:${s.droppedAttributesCount}:${attributesKey(s.attributes)}`
      this.scopes.set(s, k)
    }
    return k
  }
}

/** An unambiguous string for a list of attributes (order-sensitive, like protobuf equality). */
function attributesKey (attrs: readonly KeyValue[]): string {
  let out = '['
  for (const kv of attrs) out += JSON.stringify(kv.key) + '=' + valueKey(kv.value) + ','
  return out + ']'
}

function valueKey (v: AnyValue): string {
  switch (v.kind) {
    case 'string': return 's' + JSON.stringify(v.value)
    case 'bool': return v.value ? 'T' : 'F'
    case 'int': return 'i' + v.value.toString()
    case 'double': return 'd' + (Object.is(v.value, -0) ? '-0' : String(v.value))
    case 'bytes': return 'b' + v.value.toString('hex')
    case 'array': {
      let out = 'a['
      for (const x of v.value) out += valueKey(x) + ','
      return out + ']'
    }
    case 'kvlist': return 'k' + attributesKey(v.value)
    case 'empty': return 'e'
  }
}
