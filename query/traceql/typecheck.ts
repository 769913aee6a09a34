import type { CompareOp, Intrinsic, Operand } from './ast.ts'
import { printOperand } from './printer.ts'

/**
 * Tempo's static type rules (pkg/traceql ast_validate.go / enum_operators.go), applied while
 * parsing so the error can point at the offending operand. Attributes have no static type: a
 * comparison with an attribute is checked when it runs, where a type mismatch is simply false.
 * Between known types: ints, floats and durations compare with each other; anything else must
 * be the same type; and each type allows only some operators (strings everything, numbers
 * everything but regex, booleans / status / kind only = and !=; nil only = and != against an
 * attribute). Regexes must be string literals, so they compile once.
 */
export type StaticType = 'string' | 'int' | 'float' | 'duration' | 'bool' | 'status' | 'kind' | 'nil' | 'attribute'

export const INTRINSIC_TYPES: Readonly<Record<Intrinsic, StaticType>> = {
  name: 'string',
  status: 'status',
  statusMessage: 'string',
  kind: 'kind',
  duration: 'duration',
  traceDuration: 'duration',
  rootName: 'string',
  rootServiceName: 'string',
}

export function staticType (o: Operand): StaticType {
  if (o.type === 'attribute') return 'attribute'
  if (o.type === 'intrinsic') return INTRINSIC_TYPES[o.name]
  return o.type
}

export function isNumericType (t: StaticType): boolean {
  return t === 'int' || t === 'float' || t === 'duration'
}

const TYPE_WORDS: Readonly<Record<StaticType, string>> = {
  string: 'a string', int: 'an integer', float: 'a float', duration: 'a duration', bool: 'a boolean',
  status: 'a status (error, ok, unset)', kind: 'a kind (server, client, producer, consumer, internal, unspecified)',
  nil: 'nil', attribute: 'an attribute',
}

const ORDERING: readonly CompareOp[] = ['=', '!=', '<', '<=', '>', '>=']
const EQUALITY: readonly CompareOp[] = ['=', '!=']

/** Operators a value of this type may take. */
export function operatorsFor (t: StaticType): readonly CompareOp[] {
  switch (t) {
    case 'string': case 'attribute': return [...ORDERING, '=~', '!~']
    case 'int': case 'float': case 'duration': return ORDERING
    default: return EQUALITY
  }
}

/** What is wrong with a comparison, and which part to point at; null when it type-checks. */
export interface TypeProblem { at: 'left' | 'op' | 'right', expected: string, found: string }

export function checkComparison (op: CompareOp, left: Operand, right: Operand): TypeProblem | null {
  const lt = staticType(left)
  const rt = staticType(right)
  if (op === '=~' || op === '!~') {
    if (right.type !== 'string') return { at: 'right', expected: `a string literal (the regular expression) after '${op}'`, found: describe(right) }
    if (lt !== 'string' && lt !== 'attribute') return { at: 'left', expected: `a string field before '${op}'`, found: describe(left) }
    return null
  }
  if (lt === 'nil' || rt === 'nil') {
    if (op !== '=' && op !== '!=') return { at: 'op', expected: "'=' or '!=' to compare with nil", found: `'${op}'` }
    if (lt === 'nil' && rt !== 'attribute') return { at: 'right', expected: 'an attribute to compare with nil', found: describe(right) }
    if (rt === 'nil' && lt !== 'attribute') return { at: 'left', expected: 'an attribute to compare with nil', found: describe(left) }
    return null
  }
  const known = lt === 'attribute' ? rt : lt
  if (lt !== 'attribute' && rt !== 'attribute' && lt !== rt && !(isNumericType(lt) && isNumericType(rt))) {
    return { at: 'right', expected: `${TYPE_WORDS[lt]} to compare with ${printOperand(left)}`, found: describe(right) }
  }
  if (!operatorsFor(known).includes(op) || (rt !== 'attribute' && !operatorsFor(rt).includes(op))) {
    const t = operatorsFor(known).includes(op) ? rt : known
    return { at: 'op', expected: `one of ${operatorsFor(t).join(' ')} for ${TYPE_WORDS[t]}`, found: `'${op}'` }
  }
  return null
}

export function describe (o: Operand): string {
  const t = staticType(o)
  const text = printOperand(o)
  const shown = text.length > 40 ? text.slice(0, 37) + '...' : text
  if (o.type === 'attribute' || o.type === 'intrinsic') return `field ${shown}`
  if (t === 'nil') return 'nil'
  if (t === 'status' || t === 'kind') return `${t} ${shown}`
  return `${TYPE_WORDS[t]} ${shown}`
}
