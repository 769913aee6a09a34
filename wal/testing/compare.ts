import type { TracesData } from '../../common/otlp/model.ts'
import { flattenTraces } from '../records.ts'
import type { SpanRecord } from '../records.ts'

/**
 * A canonical form for comparing traces that went through a block: every span with its resource,
 * scope and schema URLs, in a total order (trace id, start, span id, then content). Blocks
 * regroup spans by resource and scope, so TracesData shapes differ while the content is equal.
 */
export function canonical (traces: readonly TracesData[]): SpanRecord[] {
  const recs = flattenTraces(traces).map((r) => ({ ...r }))
  const key = (r: SpanRecord): string => r.span.traceId.toString('hex') + '|' + r.span.startTimeUnixNano.toString().padStart(21, '0') + '|' + r.span.spanId.toString('hex')
  const content = new Map(recs.map((r) => [r, stable(r)]))
  return recs.sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    if (ka !== kb) return ka < kb ? -1 : 1
    const ca = content.get(a)!
    const cb = content.get(b)!
    return ca < cb ? -1 : ca > cb ? 1 : 0
  })
}

function stable (v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return 'n' + x.toString()
    if (typeof x === 'number' && Object.is(x, -0)) return '-0'
    return x
  })
}
