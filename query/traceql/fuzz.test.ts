import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { InvalidArgumentError } from '../../common/errors.ts'
import { seededRandom } from '../../common/random.ts'
import type { Random } from '../../common/random.ts'
import { compileTraceQL } from './compile.ts'
import { TraceQLParseError } from './errors.ts'
import { parseTraceQL } from './parser.ts'
import { printQuery } from './printer.ts'
import { arbQuery } from './testing/arbitraries.ts'
import { makeTrace } from './testing/build.ts'

/**
 * Random text into the front end: whatever arrives, parseTraceQL either returns a tree or
 * throws TraceQLParseError, and compileTraceQL (plus a match on a small trace) either works or
 * throws an InvalidArgumentError, never anything else (no TypeError, no RangeError from deep
 * recursion, no hang). Inputs: random bytes, soups of TraceQL fragments, and valid queries
 * (hand-written and generated) with zero to two random edits. Seeded, so a failure names the input and replays; TRACEQL_FUZZ_SEED picks another.
 */
const CASES = 100_000
const SEED = Number(process.env.TRACEQL_FUZZ_SEED ?? 20_260_821)

const CORPUS = [
  '{}', '{ name = "GET /api" }', '{ span.http.status_code >= 500 && resource.service.name = "api" }',
  '{ .foo = "bar" } > { name =~ "GET.*" }', '{ span."a b" = `raw` }', '{ status = error || kind != server }',
  '{ duration > 1.5s } | count() > 2 | select(span.x, status)', '({ } | avg(duration) > 20ms) && { kind = client }',
  '{ !(span.x = nil) && .y != nil }', '{ a.b = 1 }', '{ span.x = -1.5e3 }', '{ traceDuration < 1h30m && rootName != "x" }',
  '{ .a = 1 } >> { .b = 2 } << { .c = 3 } ~ { .d = 4 }', '{ span.flag && !true }', '{ span:name = "x" } | max(span.n) <= 3',
  '{ span.x = "\\u00e9\\n\\x41" }', '{ 1 < span.x }', '{ span.a = span.b }', '{ rootServiceName =~ "(?i)API|db" }',
]

const FRAGMENTS = [
  '{', '}', '(', ')', '|', '&&', '||', '!', '=', '!=', '=~', '!~', '>', '>=', '<', '<=', '>>', '<<', '~', ',', '&',
  'span.', 'resource.', '.', 'span.x', '.y', 'resource.service.name', 'span."a b"', 'name', 'status', 'kind', 'duration',
  'traceDuration', 'rootName', 'rootServiceName', 'statusMessage', 'error', 'ok', 'server', 'nil', 'true', 'false',
  '"a"', '"', '`', '"\\', '1', '-2', '1.5', '1e3', '1s', '1h30m', '5µs', '9223372036854775808', 'count()', 'avg(', 'select(',
  'min(duration)', 'by(', ' ', '\n', '"(a"', '"a{2,1}"', '"(?=x)"', 'span:name', 'trace:duration', 'constructor', '__proto__', '#', '\u0000',
]

function randomBytes (r: Random): string {
  const n = r.int(40)
  const bytes = Buffer.alloc(n)
  for (let i = 0; i < n; i++) bytes[i] = r.int(256)
  return r.int(2) === 0 ? bytes.toString('latin1') : bytes.toString('utf8')
}

function soup (r: Random): string {
  let s = ''
  for (let n = 1 + r.int(16); n > 0; n--) s += (FRAGMENTS[r.int(FRAGMENTS.length)] as string) + (r.int(3) === 0 ? ' ' : '')
  return s
}

/** Valid queries to mutate: the hand-written ones and generated ones of every shape. */
function corpus (): string[] {
  return [...CORPUS, ...fc.sample(arbQuery, { numRuns: 500, seed: SEED }).map(printQuery)]
}

function mutate (r: Random, valid: readonly string[]): string {
  let s = valid[r.int(valid.length)] as string
  for (let n = r.int(3); n > 0; n--) {
    const i = r.int(s.length + 1)
    const j = Math.min(s.length, i + r.int(6))
    switch (r.int(5)) {
      case 0: s = s.slice(0, i) + s.slice(j); break
      case 1: s = s.slice(0, i) + (FRAGMENTS[r.int(FRAGMENTS.length)] as string) + s.slice(i); break
      case 2: s = s.slice(0, i) + String.fromCharCode(r.int(0x3000)) + s.slice(i); break
      case 3: s = s.slice(0, j) + s.slice(i, j) + s.slice(j); break
      default: s = r.int(4) === 0 ? s.slice(0, i) : s.slice(0, i) + s.slice(i + 1)
    }
  }
  return s
}

describe('TraceQL front end under random input', () => {
  it(`only ever throws 400-style errors, over ${CASES} inputs`, () => {
    const r = seededRandom(SEED)
    const trace = makeTrace([
      { service: 'api', attrs: { y: 1n }, spans: [{ id: 1, name: 'GET /api', kind: 2, attrs: { x: 'a', flag: true } }, { id: 2, parent: 1, status: 2, attrs: { x: -1.5, n: 3n } }] },
    ])
    const valid = corpus()
    let parsed = 0
    let compiled = 0
    for (let k = 0; k < CASES; k++) {
      const kind = k % 3
      const input = kind === 0 ? randomBytes(r) : kind === 1 ? soup(r) : mutate(r, valid)
      try {
        parseTraceQL(input)
        parsed++
      } catch (err) {
        if (!(err instanceof TraceQLParseError)) assert.fail(`parseTraceQL(${JSON.stringify(input)}) threw ${String(err)}`)
        continue
      }
      try {
        compileTraceQL(input).match(trace, { spss: 3 })
        compiled++
      } catch (err) {
        if (!(err instanceof InvalidArgumentError)) assert.fail(`compileTraceQL(${JSON.stringify(input)}) threw ${String(err)}`)
      }
    }
    // Not vacuous: the soups and mutations reach the engine often.
    assert.ok(parsed > CASES / 20, `only ${parsed} inputs parsed`)
    assert.ok(compiled > CASES / 25, `only ${compiled} inputs compiled and ran`)
  })
})
