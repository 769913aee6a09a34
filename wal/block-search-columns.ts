import type { PrefilterField, PrefilterIntrinsic, PrefilterValue } from '../common/search/prefilter.ts'
import { DEDICATED_RESOURCE, DEDICATED_SPAN } from './format/v1.ts'
import type { DedicatedColumn } from './format/v1.ts'

/**
 * Which block format v1 column holds a prefilter field (v1.ts): intrinsics have their own
 * columns; attributes with a dedicated column have a typed copy of their FIRST value when it has
 * the column's type (null otherwise). Only these columns carry statistics that can prune:
 *
 *   duration → duration_nano (uint64), status → status_code, kind → kind (int32): always set;
 *   resource_<key> / span_<key> string columns: a null means "absent or not a string", which
 *     meets no string condition (prefilter-eval.ts), so nulls never match;
 *   span_http_*status_code int64 columns: a null may hide a double of that key, which a numeric
 *     condition compares with, so a row group with nulls is "maybe".
 *
 * name and status_message have no statistics (free text): read per row, never pruned by range.
 */
export const INTRINSIC_COLUMNS: Readonly<Record<PrefilterIntrinsic, string>> = {
  name: 'name',
  statusMessage: 'status_message',
  duration: 'duration_nano',
  status: 'status_code',
  kind: 'kind',
}

const byKey = (cols: readonly DedicatedColumn[]): ReadonlyMap<string, DedicatedColumn> => new Map(cols.map((d) => [d.key, d]))
export const RESOURCE_DEDICATED = byKey(DEDICATED_RESOURCE)
export const SPAN_DEDICATED = byKey(DEDICATED_SPAN)

const isNumeric = (v: PrefilterValue): boolean => typeof v === 'bigint' || typeof v === 'number'

/**
 * The column whose statistics can judge `field op value`, and whether its null rows may still
 * meet it; undefined when none can (`any` fields are split by the caller).
 */
export function statsColumn (field: PrefilterField, value: PrefilterValue): { column: string, nullsMayMatch: boolean } | undefined {
  if (field.scope === 'intrinsic') {
    const stringField = field.name === 'name' || field.name === 'statusMessage'
    if (stringField ? typeof value !== 'string' : !isNumeric(value)) return undefined
    return { column: INTRINSIC_COLUMNS[field.name], nullsMayMatch: false }
  }
  if (field.scope === 'any') return undefined
  const d = (field.scope === 'resource' ? RESOURCE_DEDICATED : SPAN_DEDICATED).get(field.key)
  if (d === undefined) return undefined
  if (d.kind === 'string') return typeof value === 'string' ? { column: d.column, nullsMayMatch: false } : undefined
  return isNumeric(value) ? { column: d.column, nullsMayMatch: true } : undefined
}

/**
 * The dedicated string column that holds exactly the value a string condition on this field
 * compares with (null = meets nothing), so rows can be tested without decoding attributes.
 */
export function exactStringColumn (field: PrefilterField, value: PrefilterValue): string | undefined {
  if (typeof value !== 'string' || (field.scope !== 'resource' && field.scope !== 'span')) return undefined
  const d = (field.scope === 'resource' ? RESOURCE_DEDICATED : SPAN_DEDICATED).get(field.key)
  return d?.kind === 'string' ? d.column : undefined
}
