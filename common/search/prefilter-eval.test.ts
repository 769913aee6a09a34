import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { AnyValue, KeyValue, Resource, Span } from '../otlp/model.ts'
import { encodeTracesProto } from '../otlp/encode-proto.ts'
import { span as baseSpan, traces } from '../otlp/testing/model-fixture.ts'
import type { PrefilterCondition, PrefilterField, PrefilterOp, PrefilterValue } from './prefilter.ts'
import { byteNeedles, compareNumeric, compareUtf8, conditionMet, pieceMayMatch, rangeMayMeet, rangesMayMatch, scalarMeets, spanMayMatch } from './prefilter-eval.ts'
import type { ColumnRange } from './prefilter-eval.ts'

const s = (value: string): AnyValue => ({ kind: 'string', value })
const int = (value: bigint): AnyValue => ({ kind: 'int', value })
const dbl = (value: number): AnyValue => ({ kind: 'double', value })
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value })
const resource = (...attributes: KeyValue[]): Resource => ({ attributes, droppedAttributesCount: 0 })
const spanWith = (attributes: KeyValue[], fields: Partial<Span> = {}): Span => baseSpan({ attributes, ...fields })
const c = (field: PrefilterField, op: PrefilterOp, value: PrefilterValue): PrefilterCondition => ({ field, op, value })
const OPS: PrefilterOp[] = ['=', '!=', '<', '<=', '>', '>=']

describe('comparisons', () => {
  it('orders strings as UTF-8 bytes do (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(Math.sign(compareUtf8(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))))
    }), { numRuns: 500 })
    assert.ok(compareUtf8('\uffff', '\u{10000}') < 0, 'U+FFFF sorts before a supplementary character')
  })

  it('compares int64 and doubles exactly', () => {
    assert.equal(compareNumeric(2n ** 53n + 1n, 2 ** 53), 1)
    assert.equal(compareNumeric(2 ** 53, 2n ** 53n + 1n), -1)
    assert.equal(compareNumeric(5n, 5.5), -1)
    assert.equal(compareNumeric(-5n, -5.5), 1)
    assert.equal(compareNumeric(500n, 500), 0)
    assert.equal(compareNumeric(1n, Infinity), -1)
    assert.ok(Number.isNaN(compareNumeric(1n, NaN)))
    fc.assert(fc.property(fc.bigInt(-(2n ** 70n), 2n ** 70n), fc.double({ noNaN: true }), (b, d) => {
      const want = Number.isFinite(d) ? Math.sign(Number(b) - d) : d > 0 ? -1 : 1
      // Where the double is exact (|b| < 2^53), the bigint's conversion is exact too.
      if (b > -(2n ** 53n) && b < 2n ** 53n) assert.equal(compareNumeric(b, d), want)
    }))
  })

  it('compares only compatible kinds; NaN and mismatches meet nothing', () => {
    assert.equal(scalarMeets('=', 'a', 'a'), true)
    assert.equal(scalarMeets('=', 1n, '1'), false)
    assert.equal(scalarMeets('!=', 1n, '1'), false, 'a type mismatch is not "different"')
    assert.equal(scalarMeets('=', true, true), true)
    assert.equal(scalarMeets('<', false, true), true)
    assert.equal(scalarMeets('=', NaN, NaN), false)
    assert.equal(scalarMeets('=', null, 'x'), false)
  })
})

describe('spanMayMatch', () => {
  it('reads the first attribute with the key; any = the span\'s or the resource\'s', () => {
    const sp = spanWith([kv('k', s('a')), kv('k', s('b')), kv('n', int(500n))])
    const res = resource(kv('service.name', s('api')), kv('k', s('r')))
    assert.equal(conditionMet(c({ scope: 'span', key: 'k' }, '=', 'a'), sp, res), true)
    assert.equal(conditionMet(c({ scope: 'span', key: 'k' }, '=', 'b'), sp, res), false, 'only the first')
    assert.equal(conditionMet(c({ scope: 'any', key: 'k' }, '=', 'r'), sp, res), true, 'either one')
    assert.equal(conditionMet(c({ scope: 'any', key: 'k' }, '=', 'b'), sp, res), false)
    assert.equal(conditionMet(c({ scope: 'any', key: 'service.name' }, '=', 'api'), sp, res), true)
    assert.equal(conditionMet(c({ scope: 'resource', key: 'service.name' }, '!=', 'web'), sp, res), true)
    assert.equal(conditionMet(c({ scope: 'resource', key: 'service.name' }, '=', 'api'), sp, null), false)
    assert.equal(conditionMet(c({ scope: 'span', key: 'missing' }, '!=', 'x'), sp, res), false, 'missing meets nothing, not even !=')
  })

  it('compares numbers across int and double', () => {
    const sp = spanWith([kv('i', int(500n)), kv('d', dbl(499.5)), kv('a', { kind: 'array', value: [s('x')] })])
    assert.equal(conditionMet(c({ scope: 'span', key: 'i' }, '>=', 499.5), sp, null), true)
    assert.equal(conditionMet(c({ scope: 'span', key: 'd' }, '<', 500n), sp, null), true)
    assert.equal(conditionMet(c({ scope: 'span', key: 'd' }, '=', '499.5'), sp, null), false)
    assert.equal(conditionMet(c({ scope: 'span', key: 'a' }, '=', 'x'), sp, null), false, 'arrays meet nothing')
  })

  it('reads intrinsics: name, statusMessage, duration (0 when end < start), status and kind as enum numbers', () => {
    const sp = spanWith([], { name: 'GET /', kind: 2, status: { code: 2, message: 'boom' }, startTimeUnixNano: 100n, endTimeUnixNano: 350n })
    assert.equal(conditionMet(c({ scope: 'intrinsic', name: 'name' }, '=', 'GET /'), sp, null), true)
    assert.equal(conditionMet(c({ scope: 'intrinsic', name: 'statusMessage' }, '=', 'boom'), sp, null), true)
    assert.equal(conditionMet(c({ scope: 'intrinsic', name: 'duration' }, '=', 250n), sp, null), true)
    assert.equal(conditionMet(c({ scope: 'intrinsic', name: 'status' }, '=', 2n), sp, null), true)
    assert.equal(conditionMet(c({ scope: 'intrinsic', name: 'kind' }, '!=', 2n), sp, null), false)
    const backwards = spanWith([], { startTimeUnixNano: 300n, endTimeUnixNano: 100n })
    assert.equal(conditionMet(c({ scope: 'intrinsic', name: 'duration' }, '=', 0n), backwards, null), true)
  })

  it('is DNF: one conjunction met is enough; [] = every span; anyOf [] = none', () => {
    const sp = spanWith([kv('a', s('1'))], { kind: 3 })
    const a1 = c({ scope: 'span', key: 'a' }, '=', '1')
    const k2 = c({ scope: 'intrinsic', name: 'kind' }, '=', 2n)
    assert.equal(spanMayMatch(undefined, sp, null), true)
    assert.equal(spanMayMatch({ anyOf: [[]] }, sp, null), true)
    assert.equal(spanMayMatch({ anyOf: [] }, sp, null), false)
    assert.equal(spanMayMatch({ anyOf: [[a1, k2]] }, sp, null), false)
    assert.equal(spanMayMatch({ anyOf: [[a1, k2], [a1]] }, sp, null), true)
  })

  it('makes a piece a candidate when one span overlaps the window and one (maybe another) meets the prefilter', () => {
    const early = spanWith([kv('hit', s('y'))], { spanId: Buffer.alloc(8, 1), startTimeUnixNano: 10n, endTimeUnixNano: 20n })
    const late = spanWith([], { spanId: Buffer.alloc(8, 2), startTimeUnixNano: 100n, endTimeUnixNano: 200n })
    const piece = { resourceSpans: [{ resource: null, schemaUrl: '', scopeSpans: [{ scope: null, schemaUrl: '', spans: [early, late] }] }] }
    const hit = { anyOf: [[c({ scope: 'span', key: 'hit' }, '=', 'y')]] }
    assert.equal(pieceMayMatch(piece, { startUnixNano: 150n }, hit), true)
    assert.equal(pieceMayMatch(piece, { startUnixNano: 201n }, hit), false)
    assert.equal(pieceMayMatch(piece, { endUnixNano: 20n, startUnixNano: 20n }, undefined), true, 'both ends inclusive')
    assert.equal(pieceMayMatch(piece, {}, { anyOf: [] }), false)
  })
})

describe('column ranges', () => {
  const range = (min: string | bigint | number | undefined, max: typeof min, fields: Partial<ColumnRange> = {}): ColumnRange =>
    ({ rows: 10, nullCount: 0, min, max, minExact: true, maxExact: true, nullsMayMatch: false, ...fields })

  it('skips by min and max for every operator', () => {
    const r = range(10n, 20n)
    const cases: [PrefilterOp, bigint, boolean][] = [
      ['=', 9n, false], ['=', 10n, true], ['=', 21n, false],
      ['<', 10n, false], ['<', 11n, true], ['<=', 10n, true], ['<=', 9n, false],
      ['>', 20n, false], ['>', 19n, true], ['>=', 20n, true], ['>=', 21n, false],
      ['!=', 15n, true],
    ]
    for (const [op, v, want] of cases) assert.equal(rangeMayMeet(op, v, r), want, `${op} ${v}`)
    assert.equal(rangeMayMeet('!=', 7n, range(7n, 7n)), false, 'a single value cannot differ from itself')
    assert.equal(rangeMayMeet('!=', 'abcdefghijklmnopq', range('abcdefghijklmnopq', 'abcdefghijklmnopq', { maxExact: false })), true, 'a truncated bound proves nothing for !=')
    assert.equal(rangeMayMeet('=', 'b', range('a', 'c')), true)
    assert.equal(rangeMayMeet('=', 'd', range('a', 'c')), false)
    assert.equal(rangeMayMeet('=', 15.5, range(10, 20)), true, 'float against int32 statistics')
  })

  it('treats nulls by the column: all null skips, nulls that may match keep the group', () => {
    assert.equal(rangeMayMeet('=', 'x', range(undefined, undefined, { nullCount: 10 })), false)
    assert.equal(rangeMayMeet('=', 500n, range(200n, 200n, { nullCount: 3, nullsMayMatch: true })), true)
    assert.equal(rangeMayMeet('=', 500n, range(200n, 200n, { nullCount: 0, nullsMayMatch: true })), false)
    assert.equal(rangeMayMeet('=', 'x', range(undefined, undefined)), true, 'no bounds: maybe')
    assert.equal(rangeMayMeet('=', 'x', range(1n, 2n)), true, 'incomparable kinds: maybe')
  })

  it('judges any-scope conditions by both columns, and unknown fields as maybe', () => {
    const none = range('a', 'b')
    const hasX = range('x', 'x')
    const lookup = (spanSide: ColumnRange | undefined, resSide: ColumnRange | undefined) => (f: PrefilterField) => f.scope === 'span' ? spanSide : f.scope === 'resource' ? resSide : undefined
    const pf = { anyOf: [[c({ scope: 'any', key: 'k' }, '=', 'x')]] }
    assert.equal(rangesMayMatch(pf, lookup(none, none)), false)
    assert.equal(rangesMayMatch(pf, lookup(none, hasX)), true)
    assert.equal(rangesMayMatch(pf, lookup(undefined, none)), true)
    assert.equal(rangesMayMatch(undefined, lookup(none, none)), true)
    assert.equal(rangesMayMatch({ anyOf: [] }, lookup(hasX, hasX)), false)
  })

  it('never skips a group holding a value that meets the condition (property)', () => {
    const value = fc.oneof(fc.bigInt(-50n, 50n), fc.constant(null))
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 20 }), fc.constantFrom(...OPS), fc.oneof(fc.bigInt(-60n, 60n), fc.double({ min: -60, max: 60, noNaN: true })), (values, op, wanted) => {
      const present = values.filter((v): v is bigint => v !== null)
      const r: ColumnRange = {
        rows: values.length,
        nullCount: values.length - present.length,
        min: present.length === 0 ? undefined : present.reduce((a, b) => a < b ? a : b),
        max: present.length === 0 ? undefined : present.reduce((a, b) => a > b ? a : b),
        minExact: true,
        maxExact: true,
        nullsMayMatch: false,
      }
      if (present.some((v) => scalarMeets(op, v, wanted))) assert.equal(rangeMayMeet(op, wanted, r), true)
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 4 }), { minLength: 1, maxLength: 10 }), fc.constantFrom(...OPS), fc.string({ unit: 'grapheme', maxLength: 4 }), (values, op, wanted) => {
      const sorted = [...values].sort(compareUtf8)
      const r: ColumnRange = { rows: values.length, nullCount: 0, min: sorted[0], max: sorted[sorted.length - 1], minExact: true, maxExact: true, nullsMayMatch: false }
      if (values.some((v) => scalarMeets(op, v, wanted))) assert.equal(rangeMayMeet(op, wanted, r), true)
    }), { numRuns: 500 })
  })
})

describe('byteNeedles', () => {
  const cond = (key: string, op: PrefilterOp, value: PrefilterValue): PrefilterCondition => ({ field: { scope: 'span', key }, op, value })

  it('takes the = string values of each conjunction; none when a conjunction has none', () => {
    assert.deepEqual(byteNeedles({ anyOf: [[cond('a', '=', 'x'), cond('b', '>', 3n)], [cond('c', '=', 'é')]] })?.map((c) => c.map((b) => b.toString('utf8'))), [['x'], ['é']])
    assert.equal(byteNeedles({ anyOf: [[cond('a', '=', 'x')], [cond('b', '!=', 'y')]] }), undefined)
    assert.equal(byteNeedles({ anyOf: [[]] }), undefined)
    assert.equal(byteNeedles(undefined), undefined)
  })

  it('never rules out the protobuf bytes of a trace with a span that may match (property)', () => {
    const value = fc.string({ minLength: 0, maxLength: 6, unit: fc.constantFrom('a', 'b', 'é', '日', ' ') })
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), value, value, (values, wanted, name) => {
      const spans = values.map((v, i) => baseSpan({ spanId: Buffer.from([0, 0, 0, 0, 0, 0, 0, i + 1]), name, attributes: [{ key: 'k', value: { kind: 'string', value: v } }] }))
      const trace = traces(spans)
      const prefilter = { anyOf: [[cond('k', '=', wanted), { field: { scope: 'intrinsic', name: 'name' }, op: '=', value: name } satisfies PrefilterCondition]] }
      const bytes = encodeTracesProto(trace)
      const needles = byteNeedles(prefilter)
      const mayMatch = spans.some((s) => spanMayMatch(prefilter, s, trace.resourceSpans[0]!.resource))
      const bytesAllow = needles === undefined || needles.some((conj) => conj.every((n) => bytes.includes(n)))
      return !mayMatch || bytesAllow
    }), { numRuns: 500 })
  })
})
