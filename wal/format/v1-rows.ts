import type { DecodedArray } from 'hyparquet'
import type { InstrumentationScope, KeyValue, Resource, Span } from '../../common/otlp/model.ts'
import type { SpanRecord } from '../records.ts'
import { DEDICATED_RESOURCE, DEDICATED_SPAN } from './v1.ts'
import type { DedicatedColumn } from './v1.ts'
import { decodeEvents, decodeKeyValueList, decodeLinks, encodeEvents, encodeKeyValueList, encodeLinks } from './values.ts'

/** Model ⇄ rows for block format v1 (schema in v1.ts). */

/** A decoded row as hyparquet returns it (object rows, `utf8: false`). */
export type Row = Record<string, unknown>

/** Thrown (and wrapped by the reader) when a row does not have the v1 shape. */
export class RowShapeError extends Error {}

/** Column arrays for sorted records, keyed by column name (every column of v1.COLUMNS). */
export function recordsToColumns (records: readonly SpanRecord[]): Map<string, DecodedArray> {
  const n = records.length
  const cols = new Map<string, DecodedArray>()
  const arr = <T>(name: string, make: () => T): T => { const a = make(); cols.set(name, a as DecodedArray); return a }
  const bytes = (name: string): Uint8Array[] => arr(name, () => new Array<Uint8Array>(n))
  const strings = (name: string): string[] => arr(name, () => new Array<string>(n))
  const traceId = bytes('trace_id'); const spanId = bytes('span_id'); const parent = bytes('parent_span_id')
  const traceState = strings('trace_state'); const name = strings('name')
  const kind = arr('kind', () => new Int32Array(n)); const statusCode = arr('status_code', () => new Int32Array(n))
  const start = arr('start_time_unix_nano', () => new Array<bigint>(n)); const end = arr('end_time_unix_nano', () => new Array<bigint>(n))
  const duration = arr('duration_nano', () => new Array<bigint>(n))
  const statusMessage = strings('status_message'); const flags = arr('flags', () => new Array<number>(n))
  const attrs = bytes('attributes'); const dropped = arr('dropped_attributes_count', () => new Array<number>(n))
  const events = bytes('events'); const droppedEvents = arr('dropped_events_count', () => new Array<number>(n))
  const links = bytes('links'); const droppedLinks = arr('dropped_links_count', () => new Array<number>(n))
  const resAttrs = arr('resource_attributes', () => new Array<Uint8Array | null>(n))
  const resDropped = arr('resource_dropped_attributes_count', () => new Array<number>(n)); const resSchema = strings('resource_schema_url')
  const scopeName = arr('scope_name', () => new Array<string | null>(n)); const scopeVersion = strings('scope_version')
  const scopeAttrs = bytes('scope_attributes'); const scopeDropped = arr('scope_dropped_attributes_count', () => new Array<number>(n))
  const scopeSchema = strings('scope_schema_url')
  const resDedicated = DEDICATED_RESOURCE.map((d) => arr(d.column, () => new Array<string | bigint | null>(n).fill(null)))
  const spanDedicated = DEDICATED_SPAN.map((d) => arr(d.column, () => new Array<string | bigint | null>(n).fill(null)))
  const resourceDedicated = new Map<Resource, (string | bigint | null)[]>()

  // Resources and scopes are shared by many spans: encode each object once.
  const resourceBlobs = new Map<Resource, Uint8Array>()
  const scopeBlobs = new Map<InstrumentationScope, Uint8Array>()
  for (let i = 0; i < n; i++) {
    const { span, resource, scope } = records[i]!
    traceId[i] = span.traceId; spanId[i] = span.spanId; parent[i] = span.parentSpanId
    traceState[i] = span.traceState; name[i] = span.name; kind[i] = span.kind
    start[i] = span.startTimeUnixNano; end[i] = span.endTimeUnixNano
    duration[i] = span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n
    statusCode[i] = span.status.code; statusMessage[i] = span.status.message; flags[i] = span.flags
    attrs[i] = encodeKeyValueList(span.attributes); dropped[i] = span.droppedAttributesCount
    events[i] = encodeEvents(span.events); droppedEvents[i] = span.droppedEventsCount
    links[i] = encodeLinks(span.links); droppedLinks[i] = span.droppedLinksCount
    if (resource === null) {
      resAttrs[i] = null; resDropped[i] = 0
    } else {
      let blob = resourceBlobs.get(resource)
      if (blob === undefined) resourceBlobs.set(resource, blob = encodeKeyValueList(resource.attributes))
      resAttrs[i] = blob; resDropped[i] = resource.droppedAttributesCount
    }
    resSchema[i] = records[i]!.resourceSchemaUrl
    if (scope === null) {
      scopeName[i] = null; scopeVersion[i] = ''; scopeAttrs[i] = EMPTY; scopeDropped[i] = 0
    } else {
      let blob = scopeBlobs.get(scope)
      if (blob === undefined) scopeBlobs.set(scope, blob = encodeKeyValueList(scope.attributes))
      scopeName[i] = scope.name; scopeVersion[i] = scope.version; scopeAttrs[i] = blob; scopeDropped[i] = scope.droppedAttributesCount
    }
    scopeSchema[i] = records[i]!.scopeSchemaUrl
    if (resource !== null) {
      let values = resourceDedicated.get(resource)
      if (values === undefined) resourceDedicated.set(resource, values = dedicatedValues(DEDICATED_RESOURCE, RESOURCE_KEYS, resource.attributes))
      for (let c = 0; c < values.length; c++) resDedicated[c]![i] = values[c]!
    }
    if (span.attributes.length > 0) {
      const values = dedicatedValues(DEDICATED_SPAN, SPAN_KEYS, span.attributes)
      for (let c = 0; c < values.length; c++) if (values[c] !== null) spanDedicated[c]![i] = values[c]!
    }
  }
  return cols
}

const EMPTY = Buffer.alloc(0)

const keyIndex = (cols: readonly DedicatedColumn[]): Map<string, number> => new Map(cols.map((d, i) => [d.key, i]))
const RESOURCE_KEYS = keyIndex(DEDICATED_RESOURCE)
const SPAN_KEYS = keyIndex(DEDICATED_SPAN)

/**
 * Per dedicated column, the first attribute with its key when the value has the column's type
 * (string, or int for int64 columns), else null. One pass over the attributes.
 */
function dedicatedValues (cols: readonly DedicatedColumn[], keys: ReadonlyMap<string, number>, attrs: readonly KeyValue[]): (string | bigint | null)[] {
  const out = new Array<string | bigint | null>(cols.length).fill(null)
  let seen = 0 // bit c: column c's key already met (at most 32 columns per list)
  for (const kv of attrs) {
    const c = keys.get(kv.key)
    if (c === undefined || (seen & (1 << c)) !== 0) continue
    seen |= 1 << c
    const v = kv.value
    if (v.kind === 'string' && cols[c]!.kind === 'string') out[c] = v.value
    else if (v.kind === 'int' && cols[c]!.kind === 'int64') out[c] = v.value
  }
  return out
}

// --- rows → model -----------------------------------------------------------------------------

/** Decoded resources and scopes by content, so records of one read share objects. */
export interface DecodeCache {
  resources: Map<string, Resource>
  scopes: Map<string, InstrumentationScope>
}

export function newDecodeCache (): DecodeCache {
  return { resources: new Map(), scopes: new Map() }
}

function bytesOf (row: Row, name: string): Uint8Array {
  const v = row[name]
  if (v instanceof Uint8Array) return v
  throw new RowShapeError(`column ${name}: expected bytes, got ${typeof v}`)
}
function stringOf (row: Row, name: string): string {
  const v = row[name]
  if (typeof v === 'string') return v
  throw new RowShapeError(`column ${name}: expected a string, got ${typeof v}`)
}
function numberOf (row: Row, name: string): number {
  const v = row[name]
  if (typeof v === 'number') return v
  throw new RowShapeError(`column ${name}: expected a number, got ${typeof v}`)
}
function bigintOf (row: Row, name: string): bigint {
  const v = row[name]
  if (typeof v === 'bigint') return v
  throw new RowShapeError(`column ${name}: expected a bigint, got ${typeof v}`)
}
/** A copy as a Buffer (ids are small; a copy never pins a decoded page). */
function bufferOf (row: Row, name: string): Buffer {
  const b = bytesOf(row, name)
  return b.length === 0 ? EMPTY : Buffer.from(b)
}

export function rowToRecord (row: Row, cache: DecodeCache): SpanRecord {
  const span: Span = {
    traceId: bufferOf(row, 'trace_id'),
    spanId: bufferOf(row, 'span_id'),
    traceState: stringOf(row, 'trace_state'),
    parentSpanId: bufferOf(row, 'parent_span_id'),
    flags: numberOf(row, 'flags'),
    name: stringOf(row, 'name'),
    kind: numberOf(row, 'kind'),
    startTimeUnixNano: bigintOf(row, 'start_time_unix_nano'),
    endTimeUnixNano: bigintOf(row, 'end_time_unix_nano'),
    attributes: decodeKeyValueList(bytesOf(row, 'attributes')),
    droppedAttributesCount: numberOf(row, 'dropped_attributes_count'),
    events: decodeEvents(bytesOf(row, 'events')),
    droppedEventsCount: numberOf(row, 'dropped_events_count'),
    links: decodeLinks(bytesOf(row, 'links')),
    droppedLinksCount: numberOf(row, 'dropped_links_count'),
    status: { code: numberOf(row, 'status_code'), message: stringOf(row, 'status_message') },
  }
  return { span, resource: resourceOf(row, cache), resourceSchemaUrl: stringOf(row, 'resource_schema_url'), scope: scopeOf(row, cache), scopeSchemaUrl: stringOf(row, 'scope_schema_url') }
}

function resourceOf (row: Row, cache: DecodeCache): Resource | null {
  if (row.resource_attributes === null) return null
  const blob = bytesOf(row, 'resource_attributes')
  const dropped = numberOf(row, 'resource_dropped_attributes_count')
  const key = `${dropped}:${Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('latin1')}`
  let r = cache.resources.get(key)
  if (r === undefined) cache.resources.set(key, r = { attributes: decodeKeyValueList(blob), droppedAttributesCount: dropped })
  return r
}

function scopeOf (row: Row, cache: DecodeCache): InstrumentationScope | null {
  if (row.scope_name === null) return null
  const name = stringOf(row, 'scope_name')
  const version = stringOf(row, 'scope_version')
  const blob = bytesOf(row, 'scope_attributes')
  const dropped = numberOf(row, 'scope_dropped_attributes_count')
  const key = JSON.stringify([name, version, dropped]) + Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('latin1')
  let s = cache.scopes.get(key)
  if (s === undefined) cache.scopes.set(key, s = { name, version, attributes: decodeKeyValueList(blob), droppedAttributesCount: dropped })
  return s
}
