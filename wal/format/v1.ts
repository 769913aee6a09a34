import type { SchemaElement } from 'hyparquet'
import type { ColumnSource } from 'hyparquet-writer'

/**
 * Block format v1: the Parquet schema of `data.parquet`, one row per span, rows sorted by trace id
 * (bytes, unsigned) then start time, so a trace's spans are contiguous and row-group statistics
 * and the block index (index.ts) can skip data.
 *
 *   column                          Parquet type                 model field / meaning
 *   trace_id                        FIXED_LEN_BYTE_ARRAY(16)     span.traceId (exactly 16 bytes)
 *   span_id, parent_span_id         BYTE_ARRAY                   ids ('' parent = root span)
 *   trace_state, name               BYTE_ARRAY UTF8
 *   kind, status_code               INT32                        enums as numbers
 *   start_time_unix_nano,
 *   end_time_unix_nano              INT64 UINT_64                exact bigints, 0..2^64-1
 *   duration_nano                   INT64 UINT_64                max(0, end - start), for search
 *   status_message                  BYTE_ARRAY UTF8
 *   flags                           INT32 UINT_32
 *   attributes                      BYTE_ARRAY                   OTLP KeyValueList (values.ts)
 *   events / links                  BYTE_ARRAY                   OTLP Span bytes, fields 11 / 13 only
 *   dropped_*_count                 INT32 UINT_32
 *   resource_attributes             BYTE_ARRAY, nullable         KeyValueList; null = no resource
 *   resource_dropped_attributes_count, resource_schema_url
 *   scope_name                      BYTE_ARRAY UTF8, nullable    null = no scope
 *   scope_version, scope_attributes (KeyValueList), scope_dropped_attributes_count, scope_schema_url
 *   resource_<key>, span_<key>      nullable, see DEDICATED_*    search-only copies (below)
 *
 * Why serialized attributes rather than repeated key/type/value columns: every AnyValue must come
 * back exactly (int64 beyond 2^53, -0, bytes, nested arrays and kvlists, empty values, order and
 * duplicate keys), which flat key/value columns cannot express without a serialized fallback
 * anyway; one OTLP-protobuf blob per span is exact, compact under ZSTD, readable by any protobuf
 * tool, and cheap to write (no Dremel-encoded repetition levels, which dominate the writer's cost).
 * Resource and scope blobs repeat for every span of a batch, and dictionary encoding stores each
 * distinct one once per row group. Events and links are serialized for the same reasons: they are
 * rarely searched, and a query needing them reads the span anyway.
 *
 * Search pruning comes from the dedicated columns instead: the attributes queries filter on most
 * (Tempo's well-known columns, Grafana's search UI fields, and the current and older semantic
 * convention names of each) get a typed, dictionary-encoded column with statistics. They are
 * copies: the blob stays the source of truth (so order and types round-trip), and a dedicated
 * column holds the first attribute with that key when its value has the column's type (string,
 * or int for the status codes), null otherwise. So `span.http.status_code = 500` can scan one
 * INT64 column, and a null means "absent or of another type".
 */
export const FORMAT_VERSION = 1

export type ColumnKind = 'traceId' | 'bytes' | 'string' | 'int32' | 'uint32' | 'uint64' | 'int64'

export interface ColumnDef {
  readonly name: string
  readonly kind: ColumnKind
  readonly nullable: boolean
  /** Min/max statistics are written (only where they prune: blobs and free text gain nothing). */
  readonly statistics: boolean
  /** Written PLAIN, skipping the dictionary attempt (values nearly all distinct). */
  readonly plain: boolean
}

export interface DedicatedColumn {
  readonly column: string
  readonly key: string
  readonly kind: 'string' | 'int64'
}

function dedicated (prefix: 'resource_' | 'span_', key: string, kind: 'string' | 'int64' = 'string'): DedicatedColumn {
  return { column: prefix + key.replace(/\./g, '_'), key, kind }
}

/** Resource attributes with their own column (one value per resource, so nearly free). */
export const DEDICATED_RESOURCE: readonly DedicatedColumn[] = [
  'service.name', 'service.namespace', 'deployment.environment', 'host.name',
  'k8s.cluster.name', 'k8s.namespace.name', 'k8s.pod.name',
].map((k) => dedicated('resource_', k))

/** Span attributes with their own column. */
export const DEDICATED_SPAN: readonly DedicatedColumn[] = [
  dedicated('span_', 'http.method'), dedicated('span_', 'http.request.method'),
  dedicated('span_', 'http.status_code', 'int64'), dedicated('span_', 'http.response.status_code', 'int64'),
  dedicated('span_', 'http.route'), dedicated('span_', 'http.url'), dedicated('span_', 'url.full'),
  dedicated('span_', 'db.system'), dedicated('span_', 'db.name'), dedicated('span_', 'db.statement'),
  dedicated('span_', 'rpc.system'), dedicated('span_', 'rpc.service'), dedicated('span_', 'rpc.method'),
  dedicated('span_', 'messaging.system'), dedicated('span_', 'messaging.destination.name'),
  dedicated('span_', 'peer.service'),
]

const col = (name: string, kind: ColumnKind, statistics = true, nullable = false, plain = false): ColumnDef => ({ name, kind, nullable, statistics, plain })

/** The columns the reader needs to rebuild the model (everything but the search-only copies). */
export const MODEL_COLUMNS: readonly ColumnDef[] = [
  col('trace_id', 'traceId'),
  col('span_id', 'bytes', false, false, true),
  col('parent_span_id', 'bytes', false, false, true),
  col('trace_state', 'string', false),
  col('name', 'string', false),
  col('kind', 'int32'),
  col('start_time_unix_nano', 'uint64', true, false, true),
  col('end_time_unix_nano', 'uint64', true, false, true),
  col('status_code', 'int32'),
  col('status_message', 'string', false),
  col('flags', 'uint32', false),
  col('attributes', 'bytes', false, false, true),
  col('dropped_attributes_count', 'uint32', false),
  col('events', 'bytes', false),
  col('dropped_events_count', 'uint32', false),
  col('links', 'bytes', false),
  col('dropped_links_count', 'uint32', false),
  col('resource_attributes', 'bytes', false, true),
  col('resource_dropped_attributes_count', 'uint32', false),
  col('resource_schema_url', 'string', false),
  col('scope_name', 'string', true, true),
  col('scope_version', 'string', false),
  col('scope_attributes', 'bytes', false),
  col('scope_dropped_attributes_count', 'uint32', false),
  col('scope_schema_url', 'string', false),
]

/** Every column of data.parquet, in file order. */
export const COLUMNS: readonly ColumnDef[] = [
  ...MODEL_COLUMNS.slice(0, 8),
  col('duration_nano', 'uint64', true, false, true),
  ...MODEL_COLUMNS.slice(8),
  ...DEDICATED_RESOURCE.map((d) => col(d.column, d.kind, true, true)),
  ...DEDICATED_SPAN.map((d) => col(d.column, d.kind, true, true)),
]

function element (c: ColumnDef): SchemaElement {
  const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED'
  switch (c.kind) {
    case 'traceId': return { name: c.name, type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, repetition_type }
    case 'bytes': return { name: c.name, type: 'BYTE_ARRAY', repetition_type }
    case 'string': return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type }
    case 'int32': return { name: c.name, type: 'INT32', repetition_type }
    case 'uint32': return { name: c.name, type: 'INT32', converted_type: 'UINT_32', repetition_type }
    // Only the converted type: hyparquet-writer 0.17's INTEGER logical type is unreadable to DuckDB.
    case 'uint64': return { name: c.name, type: 'INT64', converted_type: 'UINT_64', repetition_type }
    case 'int64': return { name: c.name, type: 'INT64', repetition_type }
  }
}

/** The Parquet schema (root + one element per column). */
export const PARQUET_SCHEMA: readonly SchemaElement[] = [
  { name: 'livestore_span', num_children: COLUMNS.length },
  ...COLUMNS.map(element),
]

/** Column data (in COLUMNS order) → hyparquet-writer sources. */
export function columnSources (data: ReadonlyMap<string, ColumnSource['data']>): ColumnSource[] {
  return COLUMNS.map((c) => {
    const values = data.get(c.name)
    if (values === undefined) throw new Error(`block format v1: no data for column ${c.name}`)
    return { name: c.name, data: values, nullable: c.nullable, statistics: c.statistics, ...(c.plain ? { encoding: 'PLAIN' as const } : {}) }
  })
}
