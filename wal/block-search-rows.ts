import type { KeyValue } from '../common/otlp/model.ts'
import type { PrefilterCondition, SpanPrefilter } from '../common/search/prefilter.ts'
import { attributeMeets, firstAttribute, scalarMeets } from '../common/search/prefilter-eval.ts'
import { INTRINSIC_COLUMNS, exactStringColumn } from './block-search-columns.ts'
import type { Row } from './format/v1-rows.ts'
import { decodeKeyValueList } from './format/values.ts'

/**
 * The prefilter evaluated on Parquet rows, exactly as prefilter-eval.ts's spanMayMatch does on
 * the model (same first-attribute rule, same comparisons), reading only the columns it needs:
 * intrinsic columns, dedicated string columns where they hold the exact value, and otherwise the
 * attribute blobs (decoded once per row; resource blobs once per distinct blob).
 */
export interface RowTest {
  /** Columns the test reads. */
  readonly columns: readonly string[]
  /** A test for the rows of one read (its caches live as long as the rows). */
  forGroup (): (row: Row) => boolean
}

interface RowContext {
  spanAttributes (row: Row): KeyValue[]
  resourceAttributes (row: Row): KeyValue[]
}

type RowCheck = (row: Row, ctx: RowContext) => boolean

export function compileRowTest (prefilter: SpanPrefilter | undefined): RowTest {
  if (prefilter === undefined) return { columns: [], forGroup: () => () => true }
  const columns = new Set<string>()
  const conjunctions = prefilter.anyOf.map((conj) => conj.map((c) => compileCondition(c, columns)))
  return {
    columns: [...columns],
    forGroup: () => {
      const ctx = newContext()
      return (row) => conjunctions.some((checks) => checks.every((check) => check(row, ctx)))
    },
  }
}

function scalarOf (v: unknown): string | bigint | number | undefined {
  return typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number' ? v : undefined
}

function compileCondition (c: PrefilterCondition, columns: Set<string>): RowCheck {
  const { field, op, value } = c
  if (field.scope === 'intrinsic') {
    const column = INTRINSIC_COLUMNS[field.name]
    columns.add(column)
    return (row) => scalarMeets(op, scalarOf(row[column]), value)
  }
  const exact = exactStringColumn(field, value)
  if (exact !== undefined) {
    columns.add(exact)
    return (row) => scalarMeets(op, scalarOf(row[exact]), value)
  }
  const key = field.key
  switch (field.scope) {
    case 'span':
      columns.add('attributes')
      return (row, ctx) => attributeMeets(op, firstAttribute(ctx.spanAttributes(row), key), value)
    case 'resource':
      columns.add('resource_attributes')
      return (row, ctx) => attributeMeets(op, firstAttribute(ctx.resourceAttributes(row), key), value)
    case 'any':
      columns.add('attributes')
      columns.add('resource_attributes')
      return (row, ctx) => attributeMeets(op, firstAttribute(ctx.spanAttributes(row), key), value) || attributeMeets(op, firstAttribute(ctx.resourceAttributes(row), key), value)
  }
}

function newContext (): RowContext {
  let lastRow: Row | undefined
  let lastAttrs: KeyValue[] = []
  const resources = new Map<Uint8Array, KeyValue[]>()
  return {
    spanAttributes (row) {
      if (row !== lastRow) {
        const blob = row.attributes
        lastAttrs = blob instanceof Uint8Array ? decodeKeyValueList(blob) : []
        lastRow = row
      }
      return lastAttrs
    },
    resourceAttributes (row) {
      const blob = row.resource_attributes
      if (!(blob instanceof Uint8Array)) return []
      let attrs = resources.get(blob)
      if (attrs === undefined) resources.set(blob, attrs = decodeKeyValueList(blob))
      return attrs
    },
  }
}
