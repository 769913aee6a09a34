import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { KeyValue, Span, TracesData } from '../../common/otlp/model.ts'
import { compileTraceQL } from './compile.ts'
import { parseTraceQL } from './parser.ts'
import { printQuery } from './printer.ts'
import { arbQuery, arbTrace } from './testing/arbitraries.ts'
import { normalizeMatch } from './testing/normalize.ts'
import { spanMeetsPrefilter } from './testing/prefilter-check.ts'
import { referenceMatch } from './testing/reference.ts'

/**
 * The compiled engine against the naive reference evaluator (testing/reference.ts) on random
 * type-correct queries and random small traces (duplicate span ids, dangling parents, parent
 * cycles, mixed value types, NaN, arrays): every query is printed to text, parsed back (which
 * must give the same tree) and compiled, and both evaluators must return the same match.
 * A failure prints the seed and the shrunk counterexample; QUERY_PROPERTY_RUNS scales the runs.
 */
const RUNS = Number(process.env.QUERY_PROPERTY_RUNS ?? 4000)
const TRACES_PER_QUERY = 3
const arbCase = fc.tuple(arbQuery, fc.array(arbTrace, { minLength: TRACES_PER_QUERY, maxLength: TRACES_PER_QUERY }), fc.constantFrom(1, 3, 100))

describe('compiled engine = reference evaluator', () => {
  it(`agrees on ${RUNS * TRACES_PER_QUERY} random (query, trace) cases, after a print → parse round trip`, () => {
    let matches = 0
    fc.assert(fc.property(arbCase, ([query, traces, spss]) => {
      const text = printQuery(query)
      assert.deepStrictEqual(parseTraceQL(text), query, text)
      const compiled = compileTraceQL(text)
      for (const trace of traces) {
        const got = normalizeMatch(compiled.match(trace, { spss }))
        assert.deepStrictEqual(got, normalizeMatch(referenceMatch(query, trace, spss)), text)
        if (got !== null) matches++
      }
    }), { numRuns: RUNS })
    // Not vacuous: a good share of cases match (about a quarter with the current generators).
    assert.ok(matches > RUNS * TRACES_PER_QUERY / 10, `only ${matches} matches`)
  })

  it('never returns a span that the query\'s prefilter would prune', () => {
    let checked = 0
    fc.assert(fc.property(arbCase, ([query, traces]) => {
      const compiled = compileTraceQL(printQuery(query))
      for (const trace of traces) {
        const m = compiled.match(trace, { spss: 1_000 })
        if (m === null || compiled.prefilter === undefined) continue
        const spans = spansById(trace)
        for (const set of m.spanSets) {
          for (const s of set.spans) {
            // Generated traces repeat span ids now and then: one of the spans with the id must pass.
            const candidates = spans.get(s.spanId.toString('hex')) ?? []
            assert.ok(candidates.some(([span, resource]) => spanMeetsPrefilter(compiled.prefilter, span, resource)), `${printQuery(query)} returned span ${s.spanId.toString('hex')} that ${JSON.stringify(compiled.prefilter, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v)} prunes`)
            checked++
          }
        }
      }
    }), { numRuns: RUNS })
    assert.ok(checked > RUNS / 10, `only ${checked} spans checked`)
  })
})

/** The spans with each id, with their resource's attributes. */
function spansById (trace: TracesData): Map<string, [Span, KeyValue[]][]> {
  const out = new Map<string, [Span, KeyValue[]][]>()
  for (const rs of trace.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const id = span.spanId.toString('hex')
        out.set(id, [...out.get(id) ?? [], [span, rs.resource?.attributes ?? []]])
      }
    }
  }
  return out
}
