import type { PrefilterCondition, PrefilterField, PrefilterOp, PrefilterValue, SpanPrefilter } from '../../common/search/prefilter.ts'
import type { CompareOp, FieldExpr, FieldRef, Literal, Operand, Query, SpansetExpr, Stage } from './ast.ts'
import { KIND_CODES, STATUS_CODES } from './ast.ts'

/**
 * Derives the conservative span prefilter (common/search/prefilter.ts) from a query.
 *
 * Why it is safe: every span a query returns satisfied at least one spanset filter `{ … }` of
 * the query (`&&`, `||` and structural operators return spans of their operands, pipeline stages
 * only narrow, aggregates and select add none). So a span that satisfies none of the filters is
 * never returned, and the union over filters of "conditions every span matching this filter
 * meets" is a valid prefilter. For one filter those are the comparisons among its top-level
 * `&&` conjuncts that compare a span intrinsic (name, duration, status, kind, statusMessage) or
 * a span / resource attribute with a literal by = != < <= > >=. Everything else (regex, `||`,
 * `!`, nil checks, trace-level intrinsics, field against field) adds no condition, and a filter
 * left without any condition (`{}`, `{ a || b }`) makes the whole prefilter undefined.
 *
 * Unscoped `.x` holds when the span's or the resource's attribute satisfies the comparison
 * (compile-filter.ts), which one conjunction cannot say; so it is expanded into two alternatives,
 * one with `span` and one with `resource` scope. Expansion stops at MAX_ALTERNATIVES per filter
 * (later unscoped conditions are then dropped, which only loosens the filter). The `any` scope
 * of the contract is never emitted, so a reader's reading of it cannot matter.
 *
 * Readers must compare like the engine: ints, floats and durations numerically across types,
 * strings by code point, status and kind as their OTLP numbers (given as bigint).
 */
export const MAX_ALTERNATIVES = 16

type Conjunction = readonly PrefilterCondition[]

export function derivePrefilter (q: Query): SpanPrefilter | undefined {
  const filters: (FieldExpr | null)[] = []
  collectFilters(q, filters)
  const anyOf: Conjunction[] = []
  const seen = new Set<string>()
  for (const f of filters) {
    const alternatives = f === null ? [[]] : filterAlternatives(f)
    for (const conj of alternatives) {
      if (conj.length === 0) return undefined
      const key = conjunctionKey(conj)
      if (!seen.has(key)) { seen.add(key); anyOf.push(conj) }
    }
  }
  return { anyOf }
}

function collectFilters (e: SpansetExpr | Stage, out: (FieldExpr | null)[]): void {
  switch (e.type) {
    case 'pipeline': collectFilters(e.source, out); for (const s of e.stages) collectFilters(s, out); break
    case 'filter': out.push(e.expr); break
    case 'spansetOp': collectFilters(e.left, out); collectFilters(e.right, out); break
    case 'spansetStage': collectFilters(e.expr, out); break
    default: break
  }
}

function filterAlternatives (e: FieldExpr): Conjunction[] {
  const conjuncts: FieldExpr[] = []
  flattenAnd(e, conjuncts)
  let alternatives: PrefilterCondition[][] = [[]]
  for (const c of conjuncts) {
    const options = conditionOptions(c)
    if (options.length === 0) continue
    if (options.length > 1 && alternatives.length * options.length > MAX_ALTERNATIVES) continue
    alternatives = alternatives.flatMap((conj) => options.map((cond) => [...conj, cond]))
  }
  return alternatives
}

function flattenAnd (e: FieldExpr, out: FieldExpr[]): void {
  if (e.type === 'logical' && e.op === '&&') { flattenAnd(e.left, out); flattenAnd(e.right, out) } else out.push(e)
}

const FLIPPED: Readonly<Record<PrefilterOp, PrefilterOp>> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' }

/** The conditions one conjunct implies, as alternatives (two for an unscoped attribute); [] for none. */
function conditionOptions (c: FieldExpr): PrefilterCondition[] {
  if (c.type === 'attribute') return attributeConditions(c, '=', true)
  if (c.type !== 'compare' || !isPrefilterOp(c.op)) return []
  const [field, lit, op] = isField(c.left) ? [c.left, c.right, c.op] : [c.right, c.left, FLIPPED[c.op]]
  if (!isField(field) || isField(lit)) return []
  if (field.type === 'attribute') {
    const value = attributeValue(lit)
    return value === undefined ? [] : attributeConditions(field, op, value)
  }
  const value = intrinsicValue(field.name, lit)
  if (value === undefined) return []
  return [{ field: { scope: 'intrinsic', name: field.name as 'name' }, op, value }]
}

function attributeConditions (f: Extract<FieldRef, { type: 'attribute' }>, op: PrefilterOp, value: PrefilterValue): PrefilterCondition[] {
  const scopes: ('span' | 'resource')[] = f.scope === 'any' ? ['span', 'resource'] : [f.scope]
  return scopes.map((scope) => ({ field: { scope, key: f.key } satisfies PrefilterField, op, value }))
}

/** Literals an attribute comparison can be pruned on; status / kind never equal an attribute value. */
function attributeValue (lit: Literal): PrefilterValue | undefined {
  switch (lit.type) {
    case 'string': case 'int': case 'float': case 'bool': return lit.value
    case 'duration': return lit.value
    default: return undefined
  }
}

function intrinsicValue (name: string, lit: Literal): PrefilterValue | undefined {
  switch (name) {
    case 'name': case 'statusMessage': return lit.type === 'string' ? lit.value : undefined
    // Durations are bigint ns in the contract; a float bound would need another type, so skip it.
    case 'duration': return lit.type === 'int' || lit.type === 'duration' ? lit.value : undefined
    case 'status': return lit.type === 'status' ? BigInt(STATUS_CODES[lit.value]) : undefined
    case 'kind': return lit.type === 'kind' ? BigInt(KIND_CODES[lit.value]) : undefined
    default: return undefined // trace-level intrinsics say nothing about one span
  }
}

function isPrefilterOp (op: CompareOp): op is PrefilterOp {
  return op !== '=~' && op !== '!~'
}

function isField (o: Operand): o is FieldRef {
  return o.type === 'attribute' || o.type === 'intrinsic'
}

function conjunctionKey (conj: Conjunction): string {
  return conj.map((c) => {
    const f = c.field.scope === 'intrinsic' ? `i:${c.field.name}` : `${c.field.scope}:${JSON.stringify(c.field.key)}`
    return `${f} ${c.op} ${typeof c.value}:${String(c.value)}`
  }).join(' & ')
}
