import type {
  AggregateFn, CompareOp, FieldExpr, FieldRef, Intrinsic, KindName, Literal, Operand, Pipeline, Query,
  SpansetExpr, SpansetOp, Stage, StatusName,
} from './ast.ts'
import { KIND_CODES, STATUS_CODES } from './ast.ts'
import { describeToken, Lexer } from './lexer.ts'
import type { Punct, Token } from './lexer.ts'
import { printOperand } from './printer.ts'
import { checkComparison, describe, isNumericType, staticType } from './typecheck.ts'

/**
 * Recursive-descent parser for TraceQL (see ast.ts for the grammar). Precedence follows Tempo's
 * yacc grammar: `|` binds loosest; spanset `&&` and `||` share a level and associate left;
 * structural operators (`>`, `>>`, `<`, `<<`, `~`) bind tighter; inside a filter, `&&` and `||`
 * again share one level (so `a || b && c` is `(a || b) && c`, as in Tempo) and `!` applies to
 * the operand or parenthesised expression right after it.
 *
 * Every error is a TraceQLParseError at the offending token. Nesting and the number of operators
 * are bounded, so no input can exhaust the stack here or in the compiled evaluator.
 */
export function parseTraceQL (text: string): Query {
  const parser = new Parser(text)
  const query = parser.pipeline()
  const end = parser.lex.next()
  if (end.kind !== 'eof') parser.lex.fail(end.pos, "'|' or the end of the query", describeToken(end))
  // `({ … } | count() > 1)` as a whole query is the same query without the parentheses.
  return query.stages.length === 0 && query.source.type === 'pipeline' ? query.source : query
}

/** Deepest nesting of parentheses and `!`. */
export const MAX_NESTING = 100
/** Most binary operators (`&&`, `||`, structural, comparisons, `|`) in one query. */
export const MAX_OPERATORS = 1000

/** Intrinsic spellings (a Map, so words like `constructor` are not found on a prototype). */
export const INTRINSICS: ReadonlyMap<string, Intrinsic> = new Map<string, Intrinsic>([
  ['name', 'name'], ['status', 'status'], ['statusMessage', 'statusMessage'], ['kind', 'kind'],
  ['duration', 'duration'], ['traceDuration', 'traceDuration'], ['rootName', 'rootName'],
  ['rootServiceName', 'rootServiceName'],
  // Tempo's scoped spellings of the same intrinsics.
  ['span:name', 'name'], ['span:status', 'status'], ['span:statusMessage', 'statusMessage'],
  ['span:kind', 'kind'], ['span:duration', 'duration'], ['trace:duration', 'traceDuration'],
  ['trace:rootName', 'rootName'], ['trace:rootService', 'rootServiceName'],
])

const AGGREGATES: ReadonlySet<string> = new Set<AggregateFn>(['count', 'avg', 'min', 'max', 'sum'])
const COMPARE_OPS: ReadonlySet<Punct> = new Set<Punct>(['=', '!=', '<', '<=', '>', '>=', '=~', '!~'])
const STRUCTURAL_OPS: ReadonlySet<Punct> = new Set<Punct>(['>', '>>', '<', '<<', '~'])

class Parser {
  readonly lex: Lexer
  private nesting = 0
  private operators = 0

  constructor (text: string) {
    this.lex = new Lexer(text)
  }

  pipeline (): Pipeline {
    const source = this.spanset()
    const stages: Stage[] = []
    while (this.isPunct(this.lex.peek(), '|')) {
      this.countOperator(this.lex.next())
      stages.push(this.stage())
    }
    return { type: 'pipeline', source, stages }
  }

  private stage (): Stage {
    const t = this.lex.peek()
    if (t.kind === 'ident' && t.value === 'select') return this.select()
    if (t.kind === 'ident' && AGGREGATES.has(t.value)) return this.aggregate()
    if (t.kind === 'punct' && (t.value === '{' || t.value === '(')) return { type: 'spansetStage', expr: this.spanset() }
    return this.lex.fail(t.pos, "a spanset, select(...) or an aggregate (count, avg, min, max, sum) after '|'", describeToken(t))
  }

  private select (): Stage {
    this.lex.next()
    this.expectPunct('(', "'(' after select")
    const fields: FieldRef[] = [this.fieldRef('a field to select')]
    while (this.isPunct(this.lex.peek(), ',')) {
      this.lex.next()
      fields.push(this.fieldRef("a field to select after ','"))
    }
    this.expectPunct(')', "',' or ')' to close select(")
    return { type: 'select', fields }
  }

  private aggregate (): Stage {
    const fnToken = this.lex.next()
    const fn = (fnToken.kind === 'ident' ? fnToken.value : '') as AggregateFn
    this.expectPunct('(', `'(' after ${fn}`)
    let field: FieldRef | null = null
    if (fn === 'count') {
      this.expectPunct(')', "')' (count takes no argument)")
    } else {
      const t = this.lex.peek()
      field = this.fieldRef(`a field to ${fn}`)
      if (field.type === 'intrinsic' && !isNumericType(staticType(field))) {
        this.lex.fail(t.pos, `a numeric field (duration, traceDuration or an attribute) to ${fn}`, `field ${field.name}`)
      }
      this.expectPunct(')', `')' to close ${fn}(`)
    }
    const opToken = this.lex.next()
    const label = `${fn}(${field === null ? '' : printOperand(field)})`
    if (opToken.kind !== 'punct' || !COMPARE_OPS.has(opToken.value) || opToken.value === '=~' || opToken.value === '!~') {
      return this.lex.fail(opToken.pos, `a comparison operator (= != < <= > >=) after ${label}`, describeToken(opToken))
    }
    this.countOperator(opToken)
    const valueToken = this.lex.peek()
    const value = this.operand(`a number or duration to compare ${label} with`)
    if (value.type === 'attribute' || value.type === 'intrinsic' || !isNumericType(staticType(value))) {
      this.lex.fail(valueToken.pos, `a number or duration to compare ${label} with`, describe(value))
    }
    return { type: 'aggregate', fn, field, op: opToken.value as Exclude<CompareOp, '=~' | '!~'>, value: value as Literal }
  }

  /** Spanset `&&` / `||`, left-associative, one precedence level. */
  private spanset (): SpansetExpr {
    let left = this.structural()
    for (;;) {
      const t = this.lex.peek()
      const op = punctOf(t)
      if (op !== '&&' && op !== '||') return left
      this.countOperator(this.lex.next())
      const right = this.structural()
      left = { type: 'spansetOp', op, left, right }
    }
  }

  private structural (): SpansetExpr {
    let left = this.spansetPrimary()
    for (;;) {
      const t = this.lex.peek()
      if (t.kind !== 'punct' || !STRUCTURAL_OPS.has(t.value)) return left
      this.countOperator(this.lex.next())
      const right = this.spansetPrimary()
      left = { type: 'spansetOp', op: t.value as SpansetOp, left, right }
    }
  }

  private spansetPrimary (): SpansetExpr {
    const t = this.lex.next()
    if (this.isPunct(t, '{')) {
      if (this.isPunct(this.lex.peek(), '}')) { this.lex.next(); return { type: 'filter', expr: null } }
      const expr = this.fieldExpr()
      this.expectPunct('}', `'&&', '||' or '}' to close the '{' at ${this.lex.where(t.pos)}`)
      return { type: 'filter', expr }
    }
    if (this.isPunct(t, '(')) {
      this.enter(t)
      const inner = this.pipeline()
      this.expectPunct(')', `'|' or ')' to close the '(' at ${this.lex.where(t.pos)}`)
      this.nesting--
      return inner.stages.length === 0 ? inner.source : inner
    }
    return this.lex.fail(t.pos, "'{' or '(' to start a spanset", describeToken(t))
  }

  /** `&&` / `||` inside a filter: one precedence level, left-associative (as Tempo). */
  private fieldExpr (): FieldExpr {
    let left = this.unary()
    for (;;) {
      const op = punctOf(this.lex.peek())
      if (op !== '&&' && op !== '||') return left
      this.countOperator(this.lex.next())
      const right = this.unary()
      left = { type: 'logical', op, left, right }
    }
  }

  private unary (): FieldExpr {
    const t = this.lex.peek()
    if (this.isPunct(t, '!') || this.isPunct(t, '(')) return this.negatable()
    return this.comparison()
  }

  /** What may follow `!`: another `!`, a parenthesised expression, or a boolean operand. */
  private negatable (): FieldExpr {
    const t = this.lex.next()
    if (this.isPunct(t, '!')) {
      this.enter(t)
      const inner = this.negatable()
      this.nesting--
      return { type: 'not', expr: inner }
    }
    if (this.isPunct(t, '(')) {
      this.enter(t)
      const inner = this.fieldExpr()
      this.expectPunct(')', `'&&', '||' or ')' to close the '(' at ${this.lex.where(t.pos)}`)
      this.nesting--
      return inner
    }
    const operand = this.operandFrom(t, "'(' or a boolean after '!'")
    if (!isBooleanOperand(operand)) this.lex.fail(t.pos, "'(' or a boolean after '!'", describe(operand))
    return operand
  }

  private comparison (): FieldExpr {
    const leftToken = this.lex.peek()
    const left = this.operand("a field, a value, '!' or '('")
    const opToken = this.lex.peek()
    if (opToken.kind !== 'punct' || !COMPARE_OPS.has(opToken.value)) {
      if (isBooleanOperand(left)) return left
      return this.lex.fail(opToken.pos, `a comparison operator after ${printOperand(left)}`, describeToken(opToken))
    }
    this.countOperator(this.lex.next())
    const op = opToken.value as CompareOp
    const rightToken = this.lex.peek()
    const right = this.operand(`a value after '${op}'`)
    const problem = checkComparison(op, left, right)
    if (problem !== null) {
      const at = problem.at === 'left' ? leftToken : problem.at === 'op' ? opToken : rightToken
      this.lex.fail(at.pos, problem.expected, problem.found)
    }
    return { type: 'compare', op, left, right }
  }

  private fieldRef (expected: string): FieldRef {
    const t = this.lex.next()
    const o = this.operandFrom(t, expected)
    if (o.type !== 'attribute' && o.type !== 'intrinsic') return this.lex.fail(t.pos, expected, describe(o))
    return o
  }

  private operand (expected: string): Operand {
    return this.operandFrom(this.lex.next(), expected)
  }

  private operandFrom (t: Token, expected: string): Operand {
    return operandOf(t, expected, this.lex)
  }

  private expectPunct (p: Punct, expected: string): void {
    const t = this.lex.next()
    if (!this.isPunct(t, p)) this.lex.fail(t.pos, expected, describeToken(t))
  }

  private isPunct (t: Token, p: Punct): boolean {
    return t.kind === 'punct' && t.value === p
  }

  private enter (t: Token): void {
    if (++this.nesting > MAX_NESTING) this.lex.fail(t.pos, `at most ${MAX_NESTING} nested parentheses or negations`, describeToken(t))
  }

  private countOperator (t: Token): void {
    if (++this.operators > MAX_OPERATORS) this.lex.fail(t.pos, `at most ${MAX_OPERATORS} operators in a query`, describeToken(t))
  }
}

function punctOf (t: Token): Punct | undefined {
  return t.kind === 'punct' ? t.value : undefined
}

function isBooleanOperand (o: Operand): boolean {
  return o.type === 'attribute' || o.type === 'bool'
}

/** One token as an operand: a field (intrinsic or attribute) or a literal. */
function operandOf (t: Token, expected: string, lex: Lexer): Operand {
  switch (t.kind) {
    case 'string': return { type: 'string', value: t.value }
    case 'int': return { type: 'int', value: t.value }
    case 'float': return { type: 'float', value: t.value }
    case 'duration': return { type: 'duration', value: t.value }
    case 'attribute': {
      const scope = t.scope === '' ? 'any' : t.scope
      if (scope !== 'any' && scope !== 'span' && scope !== 'resource') {
        lex.fail(t.pos, "an attribute scope this engine supports (span., resource. or .)", `'${t.scope}.'`)
      }
      return { type: 'attribute', scope, key: t.key }
    }
    case 'ident': {
      const node = identOperand(t.value)
      if (node === undefined) return lex.fail(t.pos, expected, describeToken(t))
      return node
    }
    default: return lex.fail(t.pos, expected, describeToken(t))
  }
}

function identOperand (word: string): Operand | undefined {
  const intrinsic = INTRINSICS.get(word)
  if (intrinsic !== undefined) return { type: 'intrinsic', name: intrinsic }
  if (word === 'true' || word === 'false') return { type: 'bool', value: word === 'true' }
  if (word === 'nil') return { type: 'nil' }
  if (Object.hasOwn(STATUS_CODES, word)) return { type: 'status', value: word as StatusName }
  if (Object.hasOwn(KIND_CODES, word)) return { type: 'kind', value: word as KindName }
  return undefined
}
