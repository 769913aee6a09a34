import type { AnyValue } from '../../common/otlp/model.ts'
import type { CompareOp, Literal } from './ast.ts'
import { KIND_CODES, STATUS_CODES } from './ast.ts'
import type { RegexCompiler } from './regex.ts'

/**
 * A comparison against one literal, specialised once per query into a test per value type, so
 * evaluating it on a span is a type switch and one primitive comparison, with no allocation.
 *
 * Semantics (Tempo's, see typecheck.ts for the static half): ints, floats and durations compare
 * numerically with each other (exactly when both sides are integral, as doubles otherwise);
 * strings compare by code point (Go compares UTF-8 bytes, which orders the same); booleans,
 * statuses and kinds only by = and !=; any other pairing, and any array / kvlist / bytes /
 * empty attribute value, is simply false (not an error), for `!=` too.
 */
export interface ValueTests {
  string (s: string): boolean
  /** int attributes and durations (ns). */
  integer (b: bigint): boolean
  float (x: number): boolean
  bool (b: boolean): boolean
  status (code: number): boolean
  kind (code: number): boolean
}

const NEVER = (): boolean => false

export function literalTests (op: CompareOp, lit: Literal, regexes: RegexCompiler): ValueTests {
  const t: ValueTests = { string: NEVER, integer: NEVER, float: NEVER, bool: NEVER, status: NEVER, kind: NEVER }
  switch (lit.type) {
    case 'string': t.string = stringTest(op, lit.value, regexes); break
    case 'int': case 'duration': {
      const b = lit.value
      const x = Number(b)
      t.integer = bigintTest(op, b)
      t.float = numberTest(op, x)
      break
    }
    case 'float': {
      const x = lit.value
      const f = numberTest(op, x)
      t.float = f
      t.integer = (b) => f(Number(b))
      break
    }
    case 'bool': {
      const v = lit.value
      if (op === '=') t.bool = (b) => b === v
      else if (op === '!=') t.bool = (b) => b !== v
      break
    }
    case 'status': case 'kind': {
      const code = lit.type === 'status' ? STATUS_CODES[lit.value] : KIND_CODES[lit.value]
      const test = op === '=' ? (c: number) => c === code : op === '!=' ? (c: number) => c !== code : NEVER
      if (lit.type === 'status') t.status = test
      else t.kind = test
      break
    }
    case 'nil': break
  }
  return t
}

/** The test of an attribute value: dispatch on its OTLP type. */
export function anyValueTest (t: ValueTests): (v: AnyValue) => boolean {
  return (v) => {
    switch (v.kind) {
      case 'string': return t.string(v.value)
      case 'int': return t.integer(v.value)
      case 'double': return t.float(v.value)
      case 'bool': return t.bool(v.value)
      default: return false
    }
  }
}

function stringTest (op: CompareOp, lit: string, regexes: RegexCompiler): (s: string) => boolean {
  switch (op) {
    case '=': return (s) => s === lit
    case '!=': return (s) => s !== lit
    case '<': return (s) => compareCodePoints(s, lit) < 0
    case '<=': return (s) => compareCodePoints(s, lit) <= 0
    case '>': return (s) => compareCodePoints(s, lit) > 0
    case '>=': return (s) => compareCodePoints(s, lit) >= 0
    case '=~': { const re = regexes.compile(lit); return (s) => re(s) }
    case '!~': { const re = regexes.compile(lit); return (s) => !re(s) }
  }
}

function bigintTest (op: CompareOp, lit: bigint): (b: bigint) => boolean {
  switch (op) {
    case '=': return (b) => b === lit
    case '!=': return (b) => b !== lit
    case '<': return (b) => b < lit
    case '<=': return (b) => b <= lit
    case '>': return (b) => b > lit
    case '>=': return (b) => b >= lit
    default: return NEVER
  }
}

/** IEEE comparisons: NaN equals nothing, so `!=` with NaN is true (as Go's `!(a == b)`). */
function numberTest (op: CompareOp, lit: number): (x: number) => boolean {
  switch (op) {
    case '=': return (x) => x === lit
    case '!=': return (x) => x !== lit
    case '<': return (x) => x < lit
    case '<=': return (x) => x <= lit
    case '>': return (x) => x > lit
    case '>=': return (x) => x >= lit
    default: return NEVER
  }
}

/**
 * Orders strings by code point, which is the order of their UTF-8 bytes (Go's string order).
 * JavaScript's `<` orders UTF-16 code units, which differs only when a supplementary character
 * meets one in U+E000–U+FFFF; remapping the units at the first difference fixes that.
 */
export function compareCodePoints (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

function codePointRank (u: number): number {
  if (u >= 0xd800 && u <= 0xdfff) return u + 0x2000
  if (u >= 0xe000) return u - 0x800
  return u
}
