import { RE2JS } from 're2js'
import type { AnyValue, KeyValue, Span, TracesData } from '../../../common/otlp/model.ts'
import type { MatchedSpan, TraceMatch } from '../../search/types.ts'
import type { AggregateFn, CompareOp, FieldExpr, FieldRef, Literal, Operand, Pipeline, Query, SpansetExpr, Stage } from '../ast.ts'

/**
 * A deliberately naive TraceQL evaluator, used only by tests as the oracle for the compiled
 * engine. It interprets the tree directly over the OTLP shape: no flattening beyond a list of
 * (span, resource) pairs, no indices, no closures, quadratic set operations, parents found by
 * searching. It shares no code with the engine (not even value comparison), so a property test
 * comparing the two checks the engine's optimisations against the written semantics:
 *
 * - a comparison holds if it holds for some value of each side; an unscoped `.x` has the span's
 *   value and the resource's value (when set); absent fields have no value, so they fail
 *   every comparison except the nil checks (`= nil`: no value, `!= nil`: some value);
 * - numbers (ints, floats, durations) compare numerically, exactly when both are integral;
 *   strings by UTF-8 bytes; booleans, statuses and kinds only with = and !=; regexes must match
 *   the whole value, `.` matching newlines; every other pairing is false;
 * - span sets as in Tempo (see compile-spanset.ts), aggregates as in aggregate.ts.
 */
interface Entry { span: Span, resource: KeyValue[] }
interface SetValue { spans: Entry[], attributes: KeyValue[] }
type Value =
  | { t: 'num', v: bigint | number } | { t: 'str', v: string } | { t: 'bool', v: boolean }
  | { t: 'status', v: number } | { t: 'kind', v: number } | { t: 'other' }

class Reference {
  readonly all: Entry[] = []

  constructor (trace: TracesData) {
    for (const rs of trace.resourceSpans) {
      for (const ss of rs.scopeSpans) for (const span of ss.spans) this.all.push({ span, resource: rs.resource?.attributes ?? [] })
    }
  }

  root (): Entry | undefined {
    return this.all.find((e) => e.span.parentSpanId.length === 0)
  }

  pipeline (p: Pipeline, input: SetValue): SetValue | null {
    let cur = this.spanset(p.source, input)
    for (const s of p.stages) {
      if (cur === null) return null
      cur = this.stage(s, cur)
    }
    return cur
  }

  stage (s: Stage, input: SetValue): SetValue | null {
    if (s.type === 'select') return input
    if (s.type === 'spansetStage') return this.spanset(s.expr, input)
    const value = this.aggregate(s.fn, s.field, input.spans)
    if (value === undefined) return null
    const lit = s.value.type === 'float' ? s.value.value : (s.value as { value: bigint }).value
    if (!compareNumbers(s.op, value, lit)) return null
    const key = `${s.fn}(${s.field === null ? '' : fieldText(s.field)})`
    return { spans: input.spans, attributes: [...input.attributes, { key, value: typeof value === 'bigint' ? { kind: 'int', value } : { kind: 'double', value } }] }
  }

  aggregate (fn: AggregateFn, field: FieldRef | null, spans: Entry[]): bigint | number | undefined {
    if (field === null) return BigInt(spans.length)
    const values: (bigint | number)[] = []
    for (const e of spans) {
      let v: bigint | number | undefined
      if (field.type === 'intrinsic') v = field.name === 'duration' ? duration(e.span) : this.traceDuration()
      else {
        const a = (field.scope !== 'resource' ? first(e.span.attributes, field.key) : undefined) ?? (field.scope !== 'span' ? first(e.resource, field.key) : undefined)
        v = a?.kind === 'int' || a?.kind === 'double' ? a.value : undefined
      }
      if (v !== undefined) values.push(v)
    }
    if (values.length === 0) return undefined
    const allInts = values.every((v) => typeof v === 'bigint')
    const vals = allInts ? values : values.map(Number)
    if (fn === 'sum' || fn === 'avg') {
      let sum: bigint | number = allInts ? 0n : 0
      for (const v of vals) sum = allInts ? (sum as bigint) + (v as bigint) : (sum as number) + (v as number)
      return fn === 'sum' ? sum : Number(sum) / vals.length
    }
    let m = vals[0] as bigint | number
    for (const v of vals) if (fn === 'min' ? v < m : v > m) m = v
    return m
  }

  spanset (e: SpansetExpr, input: SetValue): SetValue | null {
    if (e.type === 'pipeline') return this.pipeline(e, input)
    if (e.type === 'filter') {
      const spans = e.expr === null ? input.spans : input.spans.filter((s) => this.test(e.expr as FieldExpr, s))
      return spans.length === 0 ? null : { spans, attributes: input.attributes }
    }
    const l = this.spanset(e.left, input)
    const r = this.spanset(e.right, input)
    let spans: Entry[]
    if (e.op === '&&') spans = l !== null && r !== null ? this.all.filter((s) => l.spans.includes(s) || r.spans.includes(s)) : []
    else if (e.op === '||') spans = this.all.filter((s) => (l?.spans.includes(s) ?? false) || (r?.spans.includes(s) ?? false))
    else if (l === null || r === null) spans = []
    else {
      const L = l.spans
      switch (e.op) {
        case '>': spans = r.spans.filter((b) => L.includes(this.parentOf(b) as Entry)); break
        case '<': spans = r.spans.filter((b) => L.some((a) => this.parentOf(a) === b)); break
        case '>>': spans = r.spans.filter((b) => this.ancestors(b).some((x) => L.includes(x))); break
        case '<<': spans = r.spans.filter((b) => L.some((a) => this.ancestors(a).includes(b))); break
        case '~': spans = r.spans.filter((b) => this.parentOf(b) !== undefined && L.some((a) => a !== b && this.parentOf(a) === this.parentOf(b))); break
      }
    }
    return spans.length === 0 ? null : { spans, attributes: input.attributes }
  }

  parentOf (e: Entry): Entry | undefined {
    if (e.span.parentSpanId.length === 0) return undefined
    return this.all.find((x) => x.span.spanId.equals(e.span.parentSpanId))
  }

  /** Everything reachable by parent links, stopping when a span repeats. */
  ancestors (e: Entry): Entry[] {
    const out: Entry[] = []
    for (let p = this.parentOf(e); p !== undefined && !out.includes(p); p = this.parentOf(p)) out.push(p)
    return out
  }

  test (e: FieldExpr, s: Entry): boolean {
    switch (e.type) {
      case 'logical': return e.op === '&&' ? this.test(e.left, s) && this.test(e.right, s) : this.test(e.left, s) || this.test(e.right, s)
      case 'not': return !this.test(e.expr, s)
      case 'bool': return e.value
      case 'attribute': return this.values(e, s).some((v) => v.t === 'bool' && v.v)
      case 'compare': {
        if (e.right.type === 'nil') return (this.values(e.left, s).length === 0) === (e.op === '=')
        if (e.left.type === 'nil') return (this.values(e.right, s).length === 0) === (e.op === '=')
        const ls = this.values(e.left, s)
        const rs = this.values(e.right, s)
        return ls.some((l) => rs.some((r) => compare(e.op, l, r)))
      }
      default: return false
    }
  }

  values (o: Operand, s: Entry): Value[] {
    switch (o.type) {
      case 'attribute': {
        const out: Value[] = []
        if (o.scope !== 'resource') { const v = first(s.span.attributes, o.key); if (v !== undefined) out.push(fromAny(v)) }
        if (o.scope !== 'span') { const v = first(s.resource, o.key); if (v !== undefined) out.push(fromAny(v)) }
        return out
      }
      case 'intrinsic': {
        const root = this.root()
        switch (o.name) {
          case 'name': return [{ t: 'str', v: s.span.name }]
          case 'statusMessage': return [{ t: 'str', v: s.span.status.message }]
          case 'status': return [{ t: 'status', v: s.span.status.code }]
          case 'kind': return [{ t: 'kind', v: s.span.kind }]
          case 'duration': return [{ t: 'num', v: duration(s.span) }]
          case 'traceDuration': return [{ t: 'num', v: this.traceDuration() }]
          case 'rootName': return root === undefined ? [] : [{ t: 'str', v: root.span.name }]
          case 'rootServiceName': {
            const svc = root === undefined ? undefined : first(root.resource, 'service.name')
            return svc?.kind === 'string' ? [{ t: 'str', v: svc.value }] : []
          }
        }
        break
      }
      default: return [fromLiteral(o)]
    }
  }

  traceDuration (): bigint {
    const start = this.all.map((e) => e.span.startTimeUnixNano).reduce((a, b) => a < b ? a : b)
    const end = this.all.map((e) => e.span.endTimeUnixNano).reduce((a, b) => a > b ? a : b)
    return end > start ? end - start : 0n
  }
}

function first (attrs: KeyValue[], key: string): AnyValue | undefined {
  return attrs.find((kv) => kv.key === key)?.value
}

function duration (s: Span): bigint {
  return s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n
}

function fromAny (v: AnyValue): Value {
  switch (v.kind) {
    case 'string': return { t: 'str', v: v.value }
    case 'int': case 'double': return { t: 'num', v: v.value }
    case 'bool': return { t: 'bool', v: v.value }
    default: return { t: 'other' }
  }
}

function fromLiteral (l: Literal): Value {
  const status = ['unset', 'ok', 'error']
  const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']
  switch (l.type) {
    case 'string': return { t: 'str', v: l.value }
    case 'int': case 'float': case 'duration': return { t: 'num', v: l.value }
    case 'bool': return { t: 'bool', v: l.value }
    case 'status': return { t: 'status', v: status.indexOf(l.value) }
    case 'kind': return { t: 'kind', v: kinds.indexOf(l.value) }
    default: return { t: 'other' }
  }
}

export function compare (op: CompareOp, a: Value, b: Value): boolean {
  if (a.t === 'num' && b.t === 'num') return compareNumbers(op, a.v, b.v)
  if (a.t === 'str' && b.t === 'str') {
    if (op === '=~' || op === '!~') return RE2JS.compile(`^(?:${b.v})$`, RE2JS.DOTALL).matcher(a.v).find() === (op === '=~')
    return order(op, Buffer.compare(Buffer.from(a.v), Buffer.from(b.v)))
  }
  if ((a.t === 'bool' && b.t === 'bool') || (a.t === 'status' && b.t === 'status') || (a.t === 'kind' && b.t === 'kind')) {
    return op === '=' ? a.v === b.v : op === '!=' ? a.v !== b.v : false
  }
  return false
}

export function compareNumbers (op: CompareOp, a: bigint | number, b: bigint | number): boolean {
  if (typeof a !== 'bigint' || typeof b !== 'bigint') { a = Number(a); b = Number(b) }
  if (op === '=') return a === b
  if (op === '!=') return !(a === b)
  return order(op, a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN)
}

function order (op: CompareOp, c: number): boolean {
  switch (op) {
    case '=': return c === 0
    case '!=': return c !== 0
    case '<': return c < 0
    case '<=': return c <= 0
    case '>': return c > 0
    case '>=': return c >= 0
    default: return false
  }
}

export function fieldText (f: FieldRef): string {
  if (f.type === 'intrinsic') return f.name
  const bare = f.key.length > 0 && !/[\s{}()=~!<>&|^,"`\u00a0\ufeff\u2028\u2029]/.test(f.key)
  return (f.scope === 'any' ? '.' : f.scope + '.') + (bare ? f.key : JSON.stringify(f.key))
}

/** The fields a query mentions (conditions, aggregates, select), in order of first mention. */
function mentionedFields (q: Query): FieldRef[] {
  const out: FieldRef[] = []
  const visit = (n: unknown): void => {
    if (n === null || typeof n !== 'object') return
    if (Array.isArray(n)) { n.forEach(visit); return }
    const node = n as { type?: string }
    if (node.type === 'attribute' || node.type === 'intrinsic') { out.push(node as FieldRef); return }
    for (const key of ['left', 'right', 'expr', 'source', 'stages', 'field', 'fields']) visit((n as Record<string, unknown>)[key])
  }
  visit(q)
  return out
}

export function referenceMatch (q: Query, trace: TracesData, spss: number): TraceMatch | null {
  const ref = new Reference(trace)
  if (ref.all.length === 0) return null
  const result = ref.pipeline(q, { spans: ref.all, attributes: [] })
  if (result === null) return null
  const fields = mentionedFields(q).filter((f) => f.type === 'attribute' || ['status', 'kind', 'statusMessage'].includes(f.name))
  const statusNames = ['unset', 'ok', 'error']
  const kindNames = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']
  const spans: MatchedSpan[] = result.spans.slice(0, spss).map((e) => {
    const attributes: KeyValue[] = []
    const seenIntrinsics = new Set<string>()
    for (const f of fields) {
      if (f.type === 'intrinsic') {
        if (seenIntrinsics.has(f.name)) continue
        seenIntrinsics.add(f.name)
        const text = f.name === 'status'
          ? statusNames[e.span.status.code] ?? `status(${e.span.status.code})`
          : f.name === 'kind' ? kindNames[e.span.kind] ?? `kind(${e.span.kind})` : e.span.status.message
        attributes.push({ key: f.name, value: { kind: 'string', value: text } })
        continue
      }
      const kv = (f.scope !== 'resource' ? e.span.attributes.find((a) => a.key === f.key) : undefined) ??
        (f.scope !== 'span' ? e.resource.find((a) => a.key === f.key) : undefined)
      if (kv !== undefined && !attributes.includes(kv)) attributes.push(kv)
    }
    return { spanId: e.span.spanId, name: e.span.name, startTimeUnixNano: e.span.startTimeUnixNano, durationNanos: duration(e.span), attributes }
  })
  const root = ref.root()
  const svcOf = (attrs: KeyValue[]): string => { const v = first(attrs, 'service.name'); return v?.kind === 'string' ? v.value : '' }
  const stats = new Map<string, { spanCount: number, errorCount: number }>()
  for (const e of ref.all) {
    const s = stats.get(svcOf(e.resource)) ?? { spanCount: 0, errorCount: 0 }
    s.spanCount++
    if (e.span.status.code === 2) s.errorCount++
    stats.set(svcOf(e.resource), s)
  }
  const start = ref.all.map((e) => e.span.startTimeUnixNano).reduce((a, b) => a < b ? a : b)
  const end = ref.all.map((e) => e.span.endTimeUnixNano).reduce((a, b) => a > b ? a : b)
  return {
    traceId: (ref.all[0] as Entry).span.traceId,
    rootServiceName: root === undefined ? '<root span not yet received>' : svcOf(root.resource),
    rootTraceName: root?.span.name ?? '',
    startTimeUnixNano: start,
    durationMs: end > start ? Number((end - start) / 1_000_000n) : 0,
    spanSets: [{ spans, matched: result.spans.length, attributes: result.attributes }],
    serviceStats: Object.fromEntries(stats),
  }
}
