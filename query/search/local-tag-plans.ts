import type { AnyValue, InstrumentationScope, KeyValue, Resource, Span } from '../../common/otlp/model.ts'
import { firstAttribute } from '../../common/search/prefilter-eval.ts'
import { singleValue } from '../../wal/block-search.ts'
import type { RowGroupView } from '../../wal/block-search.ts'
import { DEDICATED_RESOURCE, DEDICATED_SPAN } from '../../wal/format/v1.ts'
import type { DedicatedColumn } from '../../wal/format/v1.ts'
import type { Row } from '../../wal/format/v1-rows.ts'
import { decodeEvents, decodeKeyValueList, decodeLinks } from '../../wal/format/values.ts'
import type { TagRef, TagValue } from './types.ts'

/**
 * How to find the values of one tag (`/api/v2/search/tag/{name}/values`): in a span of the model
 * (memory, and the spans of traces matching a filter) and in block rows, reading only the
 * columns it needs. A dedicated column (wal/format/v1.ts) holds an attribute's first value when
 * it has the column's type: row groups without nulls in it are read from that column alone, and
 * from its statistics alone when they hold a single value.
 */
export type Emit = (v: TagValue) => void

export interface TagPlan {
  /** Fixed values (Tempo's virtual ones for status, kind, durations): no data is read. */
  readonly fixed?: readonly TagValue[]
  /** Values come from the trace's root span, not from the spans a filter matched. */
  readonly traceLevel?: boolean
  fromSpan (span: Span, resource: Resource | null, scope: InstrumentationScope | null, emit: Emit): void
  /** Columns to read from a row group, or null to skip it (after emitting what statistics tell). */
  columns (group: RowGroupView, emit: Emit): readonly string[] | null
  fromRow (row: Row, blobs: RowBlobs, emit: Emit): void
}

/** Tempo's intrinsic tag names (pkg/search GetVirtualIntrinsicValues). */
export const INTRINSIC_TAG_NAMES: readonly string[] = [
  'duration', 'kind', 'name', 'status', 'statusMessage', 'traceDuration', 'rootServiceName', 'rootName',
  'span:status', 'span:statusMessage', 'span:duration', 'span:name', 'span:kind',
  'trace:rootName', 'trace:rootService', 'trace:duration',
  'event:name', 'event:timeSinceStart', 'instrumentation:name', 'instrumentation:version',
]

const keywords = (...values: string[]): TagValue[] => values.map((value) => ({ type: 'keyword', value }))
const STATUS = keywords('ok', 'error', 'unset')
const KIND = keywords('client', 'server', 'producer', 'consumer', 'internal', 'unspecified')

/** Values Tempo answers without reading data (GetVirtualTagValuesV2). */
const FIXED: ReadonlyMap<string, readonly TagValue[]> = new Map([
  ['status', STATUS], ['span:status', STATUS], ['kind', KIND], ['span:kind', KIND],
  ['duration', []], ['span:duration', []], ['traceDuration', []], ['trace:duration', []], ['event:timeSinceStart', []],
])

/** An attribute value as a typed tag value (arrays, kvlists, bytes and empty values have none). */
export function attributeTagValue (v: AnyValue | undefined): TagValue | undefined {
  if (v === undefined) return undefined
  switch (v.kind) {
    case 'string': return { type: 'string', value: v.value }
    case 'int': return { type: 'int', value: v.value.toString() }
    case 'double': return { type: 'float', value: String(v.value) }
    case 'bool': return { type: 'bool', value: String(v.value) }
    default: return undefined
  }
}

const str = (value: string): TagValue => ({ type: 'string', value })
const isRoot = (parent: unknown): boolean => parent instanceof Uint8Array && parent.length === 0

/** Decoded blobs of the rows of one read; resource and scope blobs repeat as one object. */
export class RowBlobs {
  readonly #kv = new Map<Uint8Array, KeyValue[]>()

  /** A KeyValueList column, decoded once per distinct blob object. */
  shared (row: Row, column: 'resource_attributes' | 'scope_attributes'): KeyValue[] {
    const blob = row[column]
    if (!(blob instanceof Uint8Array)) return []
    let kv = this.#kv.get(blob)
    if (kv === undefined) this.#kv.set(blob, kv = decodeKeyValueList(blob))
    return kv
  }

  spanAttributes (row: Row): KeyValue[] {
    const blob = row.attributes
    return blob instanceof Uint8Array ? decodeKeyValueList(blob) : []
  }

  events (row: Row): ReturnType<typeof decodeEvents> {
    const blob = row.events
    return blob instanceof Uint8Array ? decodeEvents(blob) : []
  }

  links (row: Row): ReturnType<typeof decodeLinks> {
    const blob = row.links
    return blob instanceof Uint8Array ? decodeLinks(blob) : []
  }
}

export function tagPlan (tag: TagRef): TagPlan {
  if (tag.scope === 'intrinsic') return intrinsicPlan(tag.name)
  const key = tag.name
  switch (tag.scope) {
    case 'resource': return dedicatedPlan(key, DEDICATED_RESOURCE, 'resource_attributes', (_s, r) => r?.attributes ?? [], (row, b) => b.shared(row, 'resource_attributes'))
    case 'span': return dedicatedPlan(key, DEDICATED_SPAN, 'attributes', (s) => s.attributes, (row, b) => b.spanAttributes(row))
    case 'any': return {
      fromSpan: (s, r, _sc, emit) => { emitFirst(s.attributes, key, emit); emitFirst(r?.attributes ?? [], key, emit) },
      columns: () => ['attributes', 'resource_attributes'],
      fromRow: (row, b, emit) => { emitFirst(b.spanAttributes(row), key, emit); emitFirst(b.shared(row, 'resource_attributes'), key, emit) },
    }
    case 'event': return {
      fromSpan: (s, _r, _sc, emit) => { for (const e of s.events) emitFirst(e.attributes, key, emit) },
      columns: () => ['events'],
      fromRow: (row, b, emit) => { for (const e of b.events(row)) emitFirst(e.attributes, key, emit) },
    }
    case 'link': return {
      fromSpan: (s, _r, _sc, emit) => { for (const l of s.links) emitFirst(l.attributes, key, emit) },
      columns: () => ['links'],
      fromRow: (row, b, emit) => { for (const l of b.links(row)) emitFirst(l.attributes, key, emit) },
    }
    case 'instrumentation': return {
      fromSpan: (_s, _r, sc, emit) => emitFirst(sc?.attributes ?? [], key, emit),
      columns: () => ['scope_attributes'],
      fromRow: (row, b, emit) => emitFirst(b.shared(row, 'scope_attributes'), key, emit),
    }
  }
}

function emitFirst (attrs: readonly KeyValue[], key: string, emit: Emit): void {
  const v = attributeTagValue(firstAttribute(attrs, key))
  if (v !== undefined) emit(v)
}

function typedColumnValue (d: DedicatedColumn, v: unknown): TagValue | undefined {
  if (d.kind === 'string') return typeof v === 'string' ? str(v) : undefined
  return typeof v === 'bigint' ? { type: 'int', value: v.toString() } : undefined
}

/** An attribute of the span or its resource, read from its dedicated column where it has one. */
function dedicatedPlan (
  key: string,
  dedicated: readonly DedicatedColumn[],
  blobColumn: 'attributes' | 'resource_attributes',
  modelAttrs: (span: Span, resource: Resource | null) => readonly KeyValue[],
  rowAttrs: (row: Row, blobs: RowBlobs) => readonly KeyValue[],
): TagPlan {
  const d = dedicated.find((c) => c.key === key)
  return {
    fromSpan: (s, r, _sc, emit) => emitFirst(modelAttrs(s, r), key, emit),
    columns (g, emit) {
      if (d === undefined) return [blobColumn]
      const st = g.stats(d.column)
      if (st?.null_count === undefined) return [d.column, blobColumn]
      const nulls = Number(st.null_count)
      if (nulls >= g.rowCount) return [blobColumn]
      if (nulls > 0) return [d.column, blobColumn]
      const only = g.whollyInWindow ? singleValue(st) : undefined
      const v = only === undefined ? undefined : typedColumnValue(d, only)
      if (v !== undefined) {
        emit(v)
        return null
      }
      return [d.column]
    },
    fromRow (row, blobs, emit) {
      const v = d === undefined ? undefined : typedColumnValue(d, row[d.column])
      if (v !== undefined) emit(v)
      else if (blobColumn in row) emitFirst(rowAttrs(row, blobs), key, emit)
    },
  }
}

function intrinsicPlan (name: string): TagPlan {
  const fixed = FIXED.get(name)
  const none: TagPlan = { fixed: fixed ?? [], fromSpan: () => undefined, columns: () => null, fromRow: () => undefined }
  if (fixed !== undefined) return none
  switch (name) {
    case 'name': case 'span:name': return {
      fromSpan: (s, _r, _sc, emit) => emit(str(s.name)),
      columns: () => ['name'],
      fromRow: (row, _b, emit) => { if (typeof row.name === 'string') emit(str(row.name)) },
    }
    case 'statusMessage': case 'span:statusMessage': return {
      fromSpan: (s, _r, _sc, emit) => { if (s.status.message !== '') emit(str(s.status.message)) },
      columns: () => ['status_message'],
      fromRow: (row, _b, emit) => { if (typeof row.status_message === 'string' && row.status_message !== '') emit(str(row.status_message)) },
    }
    case 'rootName': case 'trace:rootName': return {
      traceLevel: true,
      fromSpan: (s, _r, _sc, emit) => { if (s.parentSpanId.length === 0) emit(str(s.name)) },
      columns: () => ['parent_span_id', 'name'],
      fromRow: (row, _b, emit) => { if (isRoot(row.parent_span_id) && typeof row.name === 'string') emit(str(row.name)) },
    }
    case 'rootServiceName': case 'trace:rootService': case 'trace:rootServiceName': return {
      traceLevel: true,
      fromSpan: (s, r, _sc, emit) => {
        const v = firstAttribute(r?.attributes ?? [], 'service.name')
        if (s.parentSpanId.length === 0 && v?.kind === 'string') emit(str(v.value))
      },
      columns: (g) => Number(g.stats('resource_service_name')?.null_count ?? 1n) === 0
        ? ['parent_span_id', 'resource_service_name']
        : ['parent_span_id', 'resource_service_name', 'resource_attributes'],
      fromRow: (row, b, emit) => {
        if (!isRoot(row.parent_span_id)) return
        if (typeof row.resource_service_name === 'string') { emit(str(row.resource_service_name)); return }
        const v = firstAttribute(b.shared(row, 'resource_attributes'), 'service.name')
        if (v?.kind === 'string') emit(str(v.value))
      },
    }
    case 'event:name': return {
      fromSpan: (s, _r, _sc, emit) => { for (const e of s.events) emit(str(e.name)) },
      columns: () => ['events'],
      fromRow: (row, b, emit) => { for (const e of b.events(row)) emit(str(e.name)) },
    }
    case 'instrumentation:name': return {
      fromSpan: (_s, _r, sc, emit) => { if (sc !== null && sc.name !== '') emit(str(sc.name)) },
      columns: () => ['scope_name'],
      fromRow: (row, _b, emit) => { if (typeof row.scope_name === 'string' && row.scope_name !== '') emit(str(row.scope_name)) },
    }
    case 'instrumentation:version': return {
      fromSpan: (_s, _r, sc, emit) => { if (sc !== null && sc.version !== '') emit(str(sc.version)) },
      columns: () => ['scope_name', 'scope_version'],
      fromRow: (row, _b, emit) => { if (typeof row.scope_name === 'string' && typeof row.scope_version === 'string' && row.scope_version !== '') emit(str(row.scope_version)) },
    }
    default: return none
  }
}
