import fc from 'fast-check'
import type { AnyValue, KeyValue, Span, TracesData } from '../../../common/otlp/model.ts'
import type {
  AggregateFn, CompareOp, FieldExpr, FieldRef, Intrinsic, KindName, Literal, Operand, Pipeline, Query,
  SpansetExpr, SpansetOp, Stage, StatusName,
} from '../ast.ts'
import { checkComparison } from '../typecheck.ts'

/**
 * fast-check arbitraries for the differential tests: small random traces whose values collide
 * often with the literals of small random queries, so comparisons are true about as often as
 * false. Queries are generated as trees that type-check (typecheck.ts), never as text.
 */
const KEYS = ['a', 'b', 'x y', 'service.name', 'http.status_code', 'flag']
const STRINGS = ['', 'a', 'b', 'ab', 'GET /a', 'api', 'é', 'a\nb', '"q"']
const REGEXES = ['a.*', '.*', 'a|b', '[ab]+', 'G.T /.', '', 'a.b', '(?i)AB']
const INTS = [-1n, 0n, 1n, 2n, 500n, 1_000_000n, 2_000_000n]
const FLOATS = [0.5, 1, 2.5, -0, NaN, 1e21]
const NAMES = ['GET /a', 'GET /b', 'POST', '', 'db']

const arbScalar: fc.Arbitrary<AnyValue> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRINGS).map((value): AnyValue => ({ kind: 'string', value })) },
  { weight: 3, arbitrary: fc.constantFrom(...INTS).map((value): AnyValue => ({ kind: 'int', value })) },
  { weight: 2, arbitrary: fc.constantFrom(...FLOATS).map((value): AnyValue => ({ kind: 'double', value })) },
  { weight: 2, arbitrary: fc.boolean().map((value): AnyValue => ({ kind: 'bool', value })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<AnyValue>(
      { kind: 'bytes', value: Buffer.from('a') }, { kind: 'empty' },
      { kind: 'array', value: [{ kind: 'string', value: 'a' }] }, { kind: 'kvlist', value: [] }),
  },
)

const arbAttributes: fc.Arbitrary<KeyValue[]> = fc.array(
  fc.record({ key: fc.constantFrom(...KEYS), value: arbScalar }, { noNullPrototype: true }), { maxLength: 4 })

interface SpanDraft { name: string, kind: number, status: number, message: string, start: bigint, length: bigint, attributes: KeyValue[], parent: number }

const arbSpanDraft: fc.Arbitrary<SpanDraft> = fc.record({
  name: fc.constantFrom(...NAMES),
  kind: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.constant(9) }),
  status: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(7) }),
  message: fc.constantFrom('', 'a', 'boom'),
  start: fc.bigInt(0n, 3_000_000n),
  length: fc.bigInt(-500_000n, 3_000_000n),
  attributes: arbAttributes,
  // -1: root; -2: the span before (long chains); otherwise a pick among all spans (itself
  // included) or a span that is not there.
  parent: fc.oneof(
    { weight: 2, arbitrary: fc.constant(-1) },
    { weight: 4, arbitrary: fc.constant(-2) },
    { weight: 5, arbitrary: fc.nat(40) },
  ),
}, { noNullPrototype: true })

const arbResource = fc.record({
  service: fc.option(fc.constantFrom('api', 'db', '', '__proto__'), { nil: undefined }),
  attributes: arbAttributes,
  nullResource: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  scopes: fc.array(fc.array(arbSpanDraft, { maxLength: 4 }), { minLength: 1, maxLength: 2 }),
}, { noNullPrototype: true })

const TRACE_ID = Buffer.alloc(16, 7)

export const arbTrace: fc.Arbitrary<TracesData> = fc.tuple(
  fc.array(arbResource, { minLength: 1, maxLength: 3 }),
  fc.integer({ min: 0, max: 9 }),
).map(([resources, dupEvery]) => {
  const total = resources.reduce((n, r) => n + r.scopes.reduce((m, s) => m + s.length, 0), 0)
  let index = 0
  const id = (i: number): Buffer => { const b = Buffer.alloc(8); b.writeUInt32BE(i + 1, 4); return b }
  return {
    resourceSpans: resources.map((r) => ({
      resource: r.nullResource
        ? null
        : { attributes: [...(r.service === undefined ? [] : [{ key: 'service.name', value: { kind: 'string', value: r.service } as AnyValue }]), ...r.attributes], droppedAttributesCount: 0 },
      scopeSpans: r.scopes.map((drafts) => ({
        scope: null,
        schemaUrl: '',
        spans: drafts.map((d): Span => {
          const i = index++
          // Every `dupEvery`-th span reuses the previous id, to exercise duplicate ids.
          const spanId = dupEvery > 0 && i > 0 && i % (dupEvery + 3) === 0 ? id(i - 1) : id(i)
          const parentSpanId = d.parent === -1 || (d.parent === -2 && i === 0)
            ? Buffer.alloc(0)
            : id(d.parent === -2 ? i - 1 : d.parent % (total + 2))
          return {
            traceId: TRACE_ID, spanId, traceState: '', parentSpanId, flags: 0, name: d.name, kind: d.kind,
            startTimeUnixNano: d.start, endTimeUnixNano: d.start + d.length, attributes: d.attributes,
            droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0,
            status: { code: d.status, message: d.message },
          }
        }),
      })),
      schemaUrl: '',
    })),
  }
})

const INTRINSICS: Intrinsic[] = ['name', 'status', 'statusMessage', 'kind', 'duration', 'traceDuration', 'rootName', 'rootServiceName']

const arbAttributeRef: fc.Arbitrary<FieldRef> = fc.record({
  type: fc.constant('attribute' as const),
  scope: fc.constantFrom('span' as const, 'resource' as const, 'any' as const),
  key: fc.constantFrom(...KEYS),
}, { noNullPrototype: true })

export const arbField: fc.Arbitrary<FieldRef> = fc.oneof(
  { weight: 3, arbitrary: arbAttributeRef },
  { weight: 2, arbitrary: fc.constantFrom(...INTRINSICS).map((name): FieldRef => ({ type: 'intrinsic', name })) },
)

const arbLiteral: fc.Arbitrary<Literal> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRINGS, ...REGEXES).map((value): Literal => ({ type: 'string', value })) },
  { weight: 3, arbitrary: fc.constantFrom(...INTS).map((value): Literal => ({ type: 'int', value })) },
  { weight: 2, arbitrary: fc.constantFrom(...FLOATS.filter((x) => !Number.isNaN(x))).map((value): Literal => ({ type: 'float', value })) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, 500_000n, 1_000_000n, 2_000_000n, 4_000_000n).map((value): Literal => ({ type: 'duration', value })) },
  { weight: 2, arbitrary: fc.boolean().map((value): Literal => ({ type: 'bool', value })) },
  { weight: 1, arbitrary: fc.constantFrom<StatusName>('error', 'ok', 'unset').map((value): Literal => ({ type: 'status', value })) },
  { weight: 1, arbitrary: fc.constantFrom<KindName>('server', 'client', 'internal', 'unspecified', 'producer', 'consumer').map((value): Literal => ({ type: 'kind', value })) },
  { weight: 1, arbitrary: fc.constant<Literal>({ type: 'nil' }) },
)

const OPS: CompareOp[] = ['=', '!=', '<', '<=', '>', '>=', '=~', '!~']

/** Comparisons that type-check: mostly field op literal, sometimes flipped or field op field. */
const arbComparison: fc.Arbitrary<FieldExpr> = fc.tuple(
  arbField, fc.constantFrom(...OPS), arbLiteral, arbField, fc.integer({ min: 0, max: 9 }),
).map(([field, op, literal, other, shape]) => {
  const [left, right]: [Operand, Operand] = shape === 0 ? [literal, field] : shape === 1 ? [field, other] : [field, literal]
  return { type: 'compare' as const, op, left, right }
}).filter((c) => checkComparison(c.op, c.left, c.right) === null)

/** Conditions that hold for a good share of generated spans, so span sets are rarely all empty. */
const arbLikely: fc.Arbitrary<FieldExpr> = fc.oneof(
  fc.tuple(fc.constantFrom<CompareOp>('=', '!='), fc.constantFrom(...NAMES))
    .map(([op, value]): FieldExpr => ({ type: 'compare', op, left: { type: 'intrinsic', name: 'name' }, right: { type: 'string', value } })),
  fc.tuple(fc.constantFrom<CompareOp>('=', '!='), fc.constantFrom<StatusName>('error', 'ok', 'unset'))
    .map(([op, value]): FieldExpr => ({ type: 'compare', op, left: { type: 'intrinsic', name: 'status' }, right: { type: 'status', value } })),
  fc.tuple(fc.constantFrom<CompareOp>('<', '>='), fc.constantFrom(1_000_000n, 2_000_000n))
    .map(([op, value]): FieldExpr => ({ type: 'compare', op, left: { type: 'intrinsic', name: 'duration' }, right: { type: 'duration', value } })),
  fc.tuple(fc.constantFrom<CompareOp>('=', '!='), arbAttributeRef)
    .map(([op, left]): FieldExpr => ({ type: 'compare', op, left, right: { type: 'nil' } })),
)

const { expr: arbFieldExpr } = fc.letrec<{ expr: FieldExpr, negatable: FieldExpr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: arbComparison },
    { weight: 4, arbitrary: arbLikely },
    { weight: 1, arbitrary: arbAttributeRef },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('logical' as const), op: fc.constantFrom('&&' as const, '||' as const), left: tie('expr'), right: tie('expr') }, { noNullPrototype: true }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('not' as const), expr: tie('negatable') }, { noNullPrototype: true }) },
  ),
  // `!` takes a boolean operand, another `!` or a parenthesised expression.
  negatable: fc.oneof(
    { depthSize: 'small' },
    arbComparison, arbAttributeRef, fc.boolean().map((value): FieldExpr => ({ type: 'bool', value })), tie('expr'),
  ),
}))
export { arbFieldExpr }

const arbFilter: fc.Arbitrary<SpansetExpr> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<SpansetExpr>({ type: 'filter', expr: null }) },
  { weight: 6, arbitrary: arbFieldExpr.map((expr): SpansetExpr => ({ type: 'filter', expr })) },
)

const NUMERIC_FIELDS: fc.Arbitrary<FieldRef> = fc.oneof(
  arbAttributeRef,
  fc.constantFrom<FieldRef>({ type: 'intrinsic', name: 'duration' }, { type: 'intrinsic', name: 'traceDuration' }),
)

const arbAggregate: fc.Arbitrary<Stage> = fc.record({
  fn: fc.constantFrom<AggregateFn>('count', 'avg', 'min', 'max', 'sum'),
  field: NUMERIC_FIELDS,
  op: fc.constantFrom('=' as const, '!=' as const, '<' as const, '<=' as const, '>' as const, '>=' as const),
  value: fc.oneof(
    fc.constantFrom(0n, 1n, 2n, 3n, 500n).map((value): Literal => ({ type: 'int', value })),
    fc.constantFrom(0.5, 1.5, 2).map((value): Literal => ({ type: 'float', value })),
    fc.constantFrom(1_000_000n, 2_000_000n).map((value): Literal => ({ type: 'duration', value })),
  ),
}, { noNullPrototype: true }).map((a): Stage => ({ type: 'aggregate', fn: a.fn, field: a.fn === 'count' ? null : a.field, op: a.op, value: a.value }))

const arbSelect: fc.Arbitrary<Stage> = fc.array(arbField, { minLength: 1, maxLength: 3 }).map((fields): Stage => ({ type: 'select', fields }))

const SPANSET_OPS: SpansetOp[] = ['&&', '||', '>', '>>', '<', '<<', '~']

const { spanset: arbSpanset } = fc.letrec<{ spanset: SpansetExpr, stage: Stage }>((tie) => ({
  spanset: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: arbFilter },
    { weight: 3, arbitrary: fc.record({ type: fc.constant('spansetOp' as const), op: fc.constantFrom(...SPANSET_OPS), left: tie('spanset'), right: tie('spanset') }, { noNullPrototype: true }) },
    {
      weight: 1,
      arbitrary: fc.record({ source: tie('spanset'), stages: fc.array(tie('stage'), { minLength: 1, maxLength: 2 }) }, { noNullPrototype: true })
        .map(({ source, stages }): SpansetExpr => ({ type: 'pipeline', source, stages })),
    },
  ),
  stage: fc.oneof(
    { weight: 2, arbitrary: tie('spanset').map((expr): Stage => ({ type: 'spansetStage', expr })) },
    { weight: 2, arbitrary: arbAggregate },
    { weight: 1, arbitrary: arbSelect },
  ),
}))

/** Whole queries, in the canonical shape the parser produces. */
export const arbQuery: fc.Arbitrary<Query> = fc.record({
  source: arbSpanset,
  stages: fc.array(fc.oneof(
    { weight: 2, arbitrary: arbSpanset.map((expr): Stage => ({ type: 'spansetStage', expr })) },
    { weight: 2, arbitrary: arbAggregate },
    { weight: 1, arbitrary: arbSelect },
  ), { maxLength: 2 }),
}, { noNullPrototype: true }).map(({ source, stages }): Pipeline => stages.length === 0 && source.type === 'pipeline' ? source : { type: 'pipeline', source, stages })
