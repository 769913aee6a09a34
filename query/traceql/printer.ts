import type { FieldExpr, FieldRef, Literal, Operand, Pipeline, Query, SpansetExpr, Stage } from './ast.ts'
import { isAttributeNameChar } from './lexer.ts'
import { formatFloat, quoteString } from './literals.ts'

/**
 * Prints a tree as canonical TraceQL: single spaces, the fewest parentheses that keep the tree
 * (`&&`/`||` share one precedence level and associate left, as in Tempo; structural operators
 * bind tighter), durations in nanoseconds. parseTraceQL(printQuery(q)) equals q for every tree
 * the parser can produce (a property test checks it), so the printed form is also what tests
 * compare and what aggregate attributes are named after (`count()`, `avg(duration)`).
 */
export function printQuery (q: Query): string {
  return printPipeline(q, true)
}

function printPipeline (p: Pipeline, root: boolean): string {
  const text = [printSpanset(p.source, 0), ...p.stages.map(printStage)].join(' | ')
  return root ? text : `(${text})`
}

export function printStage (s: Stage): string {
  switch (s.type) {
    case 'spansetStage': return printSpanset(s.expr, 0)
    case 'select': return `select(${s.fields.map(printField).join(', ')})`
    case 'aggregate': return `${printAggregate(s.fn, s.field)} ${s.op} ${printLiteral(s.value)}`
  }
}

/** `count()`, `avg(duration)`: also the key of the span-set attribute that reports the value. */
export function printAggregate (fn: string, field: FieldRef | null): string {
  return `${fn}(${field === null ? '' : printField(field)})`
}

function spansetPrecedence (e: SpansetExpr): number {
  if (e.type !== 'spansetOp') return 3
  return e.op === '&&' || e.op === '||' ? 1 : 2
}

function printSpanset (e: SpansetExpr, parentPrecedence: number): string {
  switch (e.type) {
    case 'pipeline': return printPipeline(e, false)
    case 'filter': return e.expr === null ? '{}' : `{ ${printFieldExpr(e.expr)} }`
    case 'spansetOp': {
      const p = spansetPrecedence(e)
      // Left-associative: a right operand of the same precedence needs parentheses.
      const text = `${printSpanset(e.left, p)} ${e.op} ${printSpanset(e.right, p + 0.5)}`
      return p < parentPrecedence ? `(${text})` : text
    }
  }
}

export function printFieldExpr (e: FieldExpr): string {
  switch (e.type) {
    case 'logical': {
      const right = e.right.type === 'logical' ? `(${printFieldExpr(e.right)})` : printFieldExpr(e.right)
      return `${printFieldExpr(e.left)} ${e.op} ${right}`
    }
    case 'not': {
      const inner = e.expr.type === 'logical' || e.expr.type === 'compare' ? `(${printFieldExpr(e.expr)})` : printFieldExpr(e.expr)
      return `!${inner}`
    }
    case 'compare': return `${printOperand(e.left)} ${e.op} ${printOperand(e.right)}`
    default: return printOperand(e)
  }
}

export function printOperand (o: Operand): string {
  return o.type === 'intrinsic' || o.type === 'attribute' ? printField(o) : printLiteral(o)
}

export function printField (f: FieldRef): string {
  if (f.type === 'intrinsic') return f.name
  const prefix = f.scope === 'any' ? '.' : `${f.scope}.`
  return prefix + printAttributeKey(f.key)
}

/** Bare when the lexer reads the whole key back as one name, quoted otherwise. */
export function printAttributeKey (key: string): string {
  let bare = key.length > 0
  for (let i = 0; bare && i < key.length; i++) bare = isAttributeNameChar(key.charCodeAt(i))
  return bare ? key : quoteString(key)
}

export function printLiteral (l: Literal): string {
  switch (l.type) {
    case 'string': return quoteString(l.value)
    case 'int': return String(l.value)
    case 'float': return formatFloat(l.value)
    case 'bool': return String(l.value)
    case 'duration': return `${l.value}ns`
    case 'status': case 'kind': return l.value
    case 'nil': return 'nil'
  }
}
