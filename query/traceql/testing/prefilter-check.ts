import type { AnyValue, KeyValue, Span } from '../../../common/otlp/model.ts'
import type { PrefilterCondition, SpanPrefilter } from '../../../common/search/prefilter.ts'
import { compare } from './reference.ts'

/**
 * How a reader is meant to apply a SpanPrefilter to one span, written with the reference
 * evaluator's comparison so tests can check that pruning never drops a span the engine returns:
 * a condition holds exactly when the TraceQL comparison `field op value` would.
 */
export function spanMeetsPrefilter (pf: SpanPrefilter | undefined, span: Span, resource: KeyValue[]): boolean {
  if (pf === undefined) return true
  return pf.anyOf.some((conj) => conj.every((c) => conditionHolds(c, span, resource)))
}

function conditionHolds (c: PrefilterCondition, span: Span, resource: KeyValue[]): boolean {
  const lit = c.value
  const right = typeof lit === 'string'
    ? { t: 'str' as const, v: lit }
    : typeof lit === 'boolean' ? { t: 'bool' as const, v: lit } : { t: 'num' as const, v: lit }
  if (c.field.scope === 'intrinsic') {
    switch (c.field.name) {
      case 'name': return compare(c.op, { t: 'str', v: span.name }, right)
      case 'statusMessage': return compare(c.op, { t: 'str', v: span.status.message }, right)
      case 'status': return compare(c.op, { t: 'num', v: BigInt(span.status.code) }, right)
      case 'kind': return compare(c.op, { t: 'num', v: BigInt(span.kind) }, right)
      case 'duration': {
        const d = span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n
        return compare(c.op, { t: 'num', v: d }, right)
      }
    }
  }
  const key = c.field.key
  const values: AnyValue[] = []
  const fromSpan = span.attributes.find((kv) => kv.key === key)
  const fromResource = resource.find((kv) => kv.key === key)
  if (c.field.scope !== 'resource' && fromSpan !== undefined) values.push(fromSpan.value)
  if (c.field.scope !== 'span' && fromResource !== undefined) values.push(fromResource.value)
  return values.some((v) => {
    const left = v.kind === 'string' ? { t: 'str' as const, v: v.value }
      : v.kind === 'int' || v.kind === 'double' ? { t: 'num' as const, v: v.value }
        : v.kind === 'bool' ? { t: 'bool' as const, v: v.value } : { t: 'other' as const }
    return compare(c.op, left, right)
  })
}
