import type { AnyValue, KeyValue, Span } from '../../common/otlp/model.ts'
import type { CompareOp, FieldExpr, FieldRef, Literal, Operand } from './ast.ts'
import { KIND_CODES, STATUS_CODES } from './ast.ts'
import type { RegexCompiler } from './regex.ts'
import type { TraceView } from './trace-view.ts'
import { findAttribute, spanDuration } from './trace-view.ts'
import { anyValueTest, compareCodePoints, literalTests } from './values.ts'
import type { ValueTests } from './values.ts'

/** Whether span `i` of the trace satisfies a filter expression. */
export type SpanPredicate = (view: TraceView, i: number) => boolean

const TRUE: Literal = { type: 'bool', value: true }
const FLIPPED: Readonly<Record<CompareOp, CompareOp>> = {
  '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=~': '=~', '!~': '!~',
}

/**
 * Compiles a filter expression into a closure tree. Comparisons of a field with a literal (the
 * common case) become specialised tests (values.ts); the rest goes through a generic path.
 *
 * Unscoped `.key`: the comparison holds when it holds for the span's attribute or for its
 * resource's (what Tempo's storage layer does when it pushes the condition down to both
 * columns). `= nil` holds when neither has the key, `!= nil` when either has it. Absent values
 * fail every other comparison, `!=` included.
 */
export function compileFieldExpr (e: FieldExpr, regexes: RegexCompiler): SpanPredicate {
  switch (e.type) {
    case 'logical': {
      const l = compileFieldExpr(e.left, regexes)
      const r = compileFieldExpr(e.right, regexes)
      return e.op === '&&' ? (v, i) => l(v, i) && r(v, i) : (v, i) => l(v, i) || r(v, i)
    }
    case 'not': {
      const inner = compileFieldExpr(e.expr, regexes)
      return (v, i) => !inner(v, i)
    }
    case 'compare': return compileComparison(e.op, e.left, e.right, regexes)
    case 'attribute': return compileComparison('=', e, TRUE, regexes)
    case 'bool': { const b = e.value; return () => b }
    default: return () => false // other bare operands are rejected by the parser
  }
}

function isField (o: Operand): o is FieldRef {
  return o.type === 'attribute' || o.type === 'intrinsic'
}

function compileComparison (op: CompareOp, left: Operand, right: Operand, regexes: RegexCompiler): SpanPredicate {
  if (!isField(left) && isField(right)) return compileComparison(FLIPPED[op], right, left, regexes)
  if (!isField(left)) {
    // Two literals: decide once.
    const result = genericCompare(op, literalValue(left as Literal), literalValue(right as Literal), regexes)
    return () => result
  }
  if (isField(right)) return compileFieldVsField(op, left, right, regexes)
  if (right.type === 'nil') return compileNilCheck(op === '=', left)
  return compileFieldVsLiteral(left, literalTests(op, right, regexes))
}

function compileNilCheck (wantAbsent: boolean, f: FieldRef): SpanPredicate {
  if (f.type !== 'attribute') return () => !wantAbsent // the parser only allows attributes here
  const key = f.key
  const present: SpanPredicate = f.scope === 'span'
    ? (v, i) => findAttribute((v.spans[i] as Span).attributes, key) !== undefined
    : f.scope === 'resource'
      ? (v, i) => findAttribute(v.resources[i] as KeyValue[], key) !== undefined
      : (v, i) => findAttribute((v.spans[i] as Span).attributes, key) !== undefined || findAttribute(v.resources[i] as KeyValue[], key) !== undefined
  return wantAbsent ? (v, i) => !present(v, i) : present
}

function compileFieldVsLiteral (f: FieldRef, t: ValueTests): SpanPredicate {
  if (f.type === 'attribute') {
    const test = anyValueTest(t)
    const key = f.key
    switch (f.scope) {
      case 'span': return (v, i) => {
        const kv = findAttribute((v.spans[i] as Span).attributes, key)
        return kv !== undefined && test(kv.value)
      }
      case 'resource': return (v, i) => {
        const kv = findAttribute(v.resources[i] as KeyValue[], key)
        return kv !== undefined && test(kv.value)
      }
      case 'any': return (v, i) => {
        const kv = findAttribute((v.spans[i] as Span).attributes, key)
        if (kv !== undefined && test(kv.value)) return true
        const rkv = findAttribute(v.resources[i] as KeyValue[], key)
        return rkv !== undefined && test(rkv.value)
      }
    }
  }
  switch (f.name) {
    case 'name': return (v, i) => t.string((v.spans[i] as Span).name)
    case 'statusMessage': return (v, i) => t.string((v.spans[i] as Span).status.message)
    case 'status': return (v, i) => t.status((v.spans[i] as Span).status.code)
    case 'kind': return (v, i) => t.kind((v.spans[i] as Span).kind)
    case 'duration': return (v, i) => t.integer(spanDuration(v.spans[i] as Span))
    case 'traceDuration': return (v) => t.integer(v.traceDuration)
    case 'rootName': return (v) => v.rootName !== undefined && t.string(v.rootName)
    case 'rootServiceName': return (v) => v.rootServiceName !== undefined && t.string(v.rootServiceName)
  }
}

/** A typed value of the generic path; `other` stands for array / kvlist / bytes / empty. */
type Value =
  | { t: 'string', v: string } | { t: 'int', v: bigint } | { t: 'float', v: number }
  | { t: 'bool', v: boolean } | { t: 'status', v: number } | { t: 'kind', v: number } | { t: 'other' }

function literalValue (l: Literal): Value | undefined {
  switch (l.type) {
    case 'string': return { t: 'string', v: l.value }
    case 'int': case 'duration': return { t: 'int', v: l.value }
    case 'float': return { t: 'float', v: l.value }
    case 'bool': return { t: 'bool', v: l.value }
    case 'status': return { t: 'status', v: STATUS_CODES[l.value] }
    case 'kind': return { t: 'kind', v: KIND_CODES[l.value] }
    case 'nil': return undefined
  }
}

function anyValueToValue (a: AnyValue): Value {
  switch (a.kind) {
    case 'string': return { t: 'string', v: a.value }
    case 'int': return { t: 'int', v: a.value }
    case 'double': return { t: 'float', v: a.value }
    case 'bool': return { t: 'bool', v: a.value }
    default: return { t: 'other' }
  }
}

/** Every value a field has on span `i` (two for an unscoped attribute set on span and resource). */
function fieldValues (f: FieldRef, view: TraceView, i: number): Value[] {
  const span = view.spans[i] as Span
  if (f.type === 'attribute') {
    const out: Value[] = []
    if (f.scope !== 'resource') { const kv = findAttribute(span.attributes, f.key); if (kv !== undefined) out.push(anyValueToValue(kv.value)) }
    if (f.scope !== 'span') { const kv = findAttribute(view.resources[i] as KeyValue[], f.key); if (kv !== undefined) out.push(anyValueToValue(kv.value)) }
    return out
  }
  switch (f.name) {
    case 'name': return [{ t: 'string', v: span.name }]
    case 'statusMessage': return [{ t: 'string', v: span.status.message }]
    case 'status': return [{ t: 'status', v: span.status.code }]
    case 'kind': return [{ t: 'kind', v: span.kind }]
    case 'duration': return [{ t: 'int', v: spanDuration(span) }]
    case 'traceDuration': return [{ t: 'int', v: view.traceDuration }]
    case 'rootName': return view.rootName === undefined ? [] : [{ t: 'string', v: view.rootName }]
    case 'rootServiceName': return view.rootServiceName === undefined ? [] : [{ t: 'string', v: view.rootServiceName }]
  }
}

/** Field against field (rare): allocates, but stays correct for every pairing. */
function compileFieldVsField (op: CompareOp, left: FieldRef, right: FieldRef, regexes: RegexCompiler): SpanPredicate {
  return (view, i) => {
    const ls = fieldValues(left, view, i)
    if (ls.length === 0) return false
    const rs = fieldValues(right, view, i)
    for (const l of ls) for (const r of rs) if (genericCompare(op, l, r, regexes)) return true
    return false
  }
}

function genericCompare (op: CompareOp, a: Value | undefined, b: Value | undefined, regexes: RegexCompiler): boolean {
  if (a === undefined || b === undefined) return false
  if ((a.t === 'int' || a.t === 'float') && (b.t === 'int' || b.t === 'float')) {
    if (a.t === 'int' && b.t === 'int') return ordered(op, a.v === b.v ? 0 : a.v < b.v ? -1 : 1, false)
    const x = Number(a.v)
    const y = Number(b.v)
    return ordered(op, x === y ? 0 : x < y ? -1 : x > y ? 1 : NaN, false)
  }
  if (a.t === 'string' && b.t === 'string') {
    if (op === '=~' || op === '!~') return regexes.compile(b.v)(a.v) === (op === '=~')
    return ordered(op, a.v === b.v ? 0 : compareCodePoints(a.v, b.v), false)
  }
  if (a.t !== b.t || a.t === 'other' || b.t === 'other') return false
  // bool, status, kind: equality only.
  return ordered(op, (a as { v: unknown }).v === (b as { v: unknown }).v ? 0 : NaN, true)
}

/** `c` is the sign of a − b, NaN when unordered (NaN operands, or unequal in an equality-only type). */
function ordered (op: CompareOp, c: number, equalityOnly: boolean): boolean {
  switch (op) {
    case '=': return c === 0
    case '!=': return c !== 0
    case '<': return !equalityOnly && c < 0
    case '<=': return !equalityOnly && c <= 0
    case '>': return !equalityOnly && c > 0
    case '>=': return !equalityOnly && c >= 0
    default: return false
  }
}
