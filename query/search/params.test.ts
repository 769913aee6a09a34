import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidArgumentError } from '../../common/errors.ts'
import { decodeLogfmt, parseGoDuration } from './go-syntax.ts'
import { parseSearchParams, parseTagNamesParams, parseTagValuesParams, tagsToTraceQL } from './params.ts'
import { fakeCompile, fakeParseTagRef } from './fakes.ts'

const T = 1_700_000_000
const search = (qs: string) => parseSearchParams(new URLSearchParams(qs), fakeCompile)
const error = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError, `an InvalidArgumentError, got ${String(err)}`)
    return err.message
  }
  assert.fail('expected a 400')
}

describe('search parameters: Tempo\'s messages, in Tempo\'s order', () => {
  const cases: [string, string][] = [
    ['start=abc', 'invalid start: strconv.ParseUint: parsing "abc": invalid syntax'],
    ['start=-1', 'invalid start: strconv.ParseUint: parsing "-1": invalid syntax'],
    ['start=4294967296', 'invalid start: strconv.ParseUint: parsing "4294967296": value out of range'],
    ['end=x', 'invalid end: strconv.ParseUint: parsing "x": invalid syntax'],
    ['q={}&tags=a%3Db', "invalid request: can't specify tags and q in the same query"],
    ['tags=a%3Db%20a%3Dc', 'invalid tags: tag a has been set twice'],
    ['tags=%3Db', "invalid tags: unexpected '=' at pos 1"],
    ['tags=a%22b%3Dc', 'invalid tags: unexpected \'"\' at pos 2'],
    ['tags=a%3Db%3Dc', "invalid tags: unexpected '=' at pos 4"],
    ['tags=a%3D%22open', 'invalid tags: unterminated quoted value at pos 8'],
    ['tags=a%3D%22bad%5Cq%22', 'invalid tags: invalid quoted value at pos 10'],
    ['minDuration=abc', 'invalid minDuration: time: invalid duration "abc"'],
    ['minDuration=10', 'invalid minDuration: time: missing unit in duration "10"'],
    ['maxDuration=1d', 'invalid maxDuration: time: unknown unit "d" in duration "1d"'],
    ['minDuration=2s&maxDuration=1s', 'invalid maxDuration: must be greater than minDuration'],
    ['minDuration=2s&maxDuration=0', 'invalid maxDuration: must be greater than minDuration'],
    ['limit=x', 'invalid limit: strconv.ParseUint: parsing "x": invalid syntax'],
    ['limit=0', 'invalid limit: must be a positive number'],
    ['limit=-3', 'invalid limit: strconv.ParseUint: parsing "-3": invalid syntax'],
    ['spss=0', 'invalid spss: must be a positive number'],
    ['spss=four', 'invalid spss: strconv.ParseUint: parsing "four": invalid syntax'],
    ['start=5', 'http parameter start must be before end. received start=5 end=0'],
    ['start=7&end=7', 'http parameter start must be before end. received start=7 end=7'],
    ['start=20&end=10', 'http parameter start must be before end. received start=20 end=10'],
    ['limit=262145', 'limit 262145 exceeds max limit 262144'],
    ['q=%7B%20nope', 'invalid TraceQL query: parse error at line 1, col 3: syntax error: { nope'],
    [`start=${T}&end=${T + 604_801}`, `range specified by start and end exceeds 168h0m0s. received start=${T} end=${T + 604_801}`],
    [`end=${T}`, `range specified by start and end exceeds 168h0m0s. received start=0 end=${T}`],
    ['spss=101', 'spans per span set exceeds 100. received 101'],
    // The first problem wins: the limit before the query, the query before the range.
    ['limit=0&q=%7B%20nope', 'invalid limit: must be a positive number'],
    [`start=${T}&end=${T + 604_801}&q=%7B%20nope`, 'invalid TraceQL query: parse error at line 1, col 3: syntax error: { nope'],
    ['spss=101&limit=262145', 'limit 262145 exceeds max limit 262144'],
  ]
  for (const [qs, message] of cases) {
    it(`${qs} → 400 ${JSON.stringify(message)}`, () => assert.equal(error(() => search(qs)), message))
  }
})

describe('search parameters: values', () => {
  it('defaults: limit 20, spss 3, no window (the whole live window), no duration bounds, every trace', () => {
    const { compiled, request } = search('')
    assert.equal(compiled.query, '{}')
    assert.deepEqual(request, { query: '{}', window: {}, limit: 20, spss: 3 })
  })

  it('takes q, start/end (seconds → ns), limit, spss and durations (ms precision, as Tempo keeps them)', () => {
    const { request } = search(`q=${encodeURIComponent('{ .a = 1 }')}&start=${T}&end=${T + 60}&limit=262144&spss=100&minDuration=1.5ms&maxDuration=2h`)
    assert.deepEqual(request, {
      query: '{ .a = 1 }',
      window: { startUnixNano: BigInt(T) * 1_000_000_000n, endUnixNano: BigInt(T + 60) * 1_000_000_000n },
      limit: 262_144,
      spss: 100,
      minDurationNanos: 1_000_000n,
      maxDurationNanos: 7_200_000_000_000n,
    })
  })

  it('treats empty parameters as absent', () => {
    assert.deepEqual(search('q=&tags=&start=&end=&limit=&spss=&minDuration=').request, { query: '{}', window: {}, limit: 20, spss: 3 })
  })

  it('converts tags (logfmt) to TraceQL', () => {
    const tags = 'service.name=api name="GET /x" http.status_code=500 status=error db.statement="select 1" root.service.name=web'
    assert.equal(search(`tags=${encodeURIComponent(tags)}`).compiled.query,
      '{ .db.statement = "select 1" && .http.status_code = 500 && name = "GET /x" && trace:rootService = "web" && resource.service.name = "api" && status = error }')
  })

  it('reads legacy bare ?key=value tags only without q, tags, start and end', () => {
    assert.equal(search('service.name=api&limit=5&spss=2&minDuration=1s&partial=true').compiled.query, '{ resource.service.name = "api" }')
    assert.equal(search('service.name=api&q={}').compiled.query, '{}')
    assert.equal(search(`service.name=api&start=${T}&end=${T + 1}`).compiled.query, '{}')
    assert.equal(search('service.name=').compiled.query, '{}')
  })
})

describe('tagsToTraceQL', () => {
  it('maps Tempo\'s well-known tags and quotes what TraceQL cannot take bare', () => {
    const cases: [Record<string, string>, string][] = [
      [{}, '{}'],
      [{ 'service.name': 'x' }, '{ resource.service.name = "x" }'],
      [{ name: 'a "quoted" \\ name' }, '{ name = "a \\"quoted\\" \\\\ name" }'],
      [{ 'root.name': 'GET' }, '{ trace:rootName = "GET" }'],
      [{ 'status.code': 'ok' }, '{ status = ok }'],
      [{ status: 'broken' }, '{ .status = "broken" }'],
      [{ 'http.status_code': 'abc' }, '{ .http.status_code = "abc" }'],
      [{ 'user id': '7' }, '{ ."user id" = "7" }'],
      [{ 'k8s.pod/name': 'p' }, '{ .k8s.pod/name = "p" }'],
      [{ b: '2', a: '1' }, '{ .a = "1" && .b = "2" }'],
    ]
    for (const [tags, want] of cases) assert.equal(tagsToTraceQL(new Map(Object.entries(tags))), want)
  })
})

describe('Go syntax helpers', () => {
  it('parses Go durations exactly', () => {
    const cases: [string, bigint][] = [['0', 0n], ['1ns', 1n], ['1.5s', 1_500_000_000n], ['2h45m', 9_900_000_000_000n], ['-1m', -60_000_000_000n], ['+3µs', 3000n], ['.5ms', 500_000n], ['1h1m1s1ms1us1ns', 3_661_001_001_001n]]
    for (const [text, ns] of cases) assert.equal(parseGoDuration(text), ns, text)
    for (const bad of ['', '-', '.s', '1.', 'ms', '3000000h']) assert.throws(() => parseGoDuration(bad), /^Error: time: /, bad)
  })

  it('decodes logfmt like go-logfmt: bare keys, empty and quoted values, several lines', () => {
    assert.deepEqual(decodeLogfmt('a=1 b= c d="x y" e="q\\"q"\n f=é'), [['a', '1'], ['b', ''], ['c', ''], ['d', 'x y'], ['e', 'q"q'], ['f', 'é']])
  })
})

describe('tag parameters', () => {
  const names = (qs: string) => parseTagNamesParams(new URLSearchParams(qs), fakeCompile)
  const values = (name: string, version: 1 | 2, qs = '') => parseTagValuesParams(name, version, new URLSearchParams(qs), { compile: fakeCompile, parseTagRef: fakeParseTagRef })

  it('scope: empty or none = every scope; the seven scope names; anything else 400', () => {
    assert.deepEqual(names('').request, { window: {} })
    assert.deepEqual(names('scope=none').request, { window: {} })
    for (const scope of ['resource', 'span', 'intrinsic', 'event', 'link', 'instrumentation', 'trace']) assert.equal(names(`scope=${scope}`).request.scope, scope)
    assert.equal(error(() => names('scope=spam')), 'invalid scope: spam')
  })

  it('takes q as a filter ({} = none), start/end as Tempo parses them there, and a limit', () => {
    const got = names(`q=${encodeURIComponent('{ .a = 1 }')}&start=${T}&end=${T + 10}&limit=5`)
    assert.equal(got.request.filter?.query, '{ .a = 1 }')
    assert.deepEqual(got.request.window, { startUnixNano: BigInt(T) * 1_000_000_000n, endUnixNano: BigInt(T + 10) * 1_000_000_000n })
    assert.equal(got.limit, 5)
    assert.equal(names('q={}').request.filter, undefined)
    assert.equal(names('limit=0').limit, undefined)
    assert.equal(error(() => names('start=x')), 'invalid start: strconv.ParseInt: parsing "x": invalid syntax')
    assert.equal(error(() => names('end=99999999999')), 'invalid end: strconv.ParseInt: parsing "99999999999": value out of range')
    assert.equal(error(() => names('start=9&end=3')), 'http parameter start must be before end. received start=9 end=3')
    assert.equal(error(() => names('limit=lots')), 'invalid limit: strconv.Atoi: parsing "lots": invalid syntax')
    assert.equal(error(() => names('q=nope')), 'invalid TraceQL query: parse error at line 1, col 3: syntax error: nope')
  })

  it('tag values: v1 names an attribute of the span or resource, v2 a TraceQL identifier; limit defaults to 10,000', () => {
    assert.deepEqual(values('service.name', 1), { tag: { scope: 'any', name: 'service.name' }, window: {}, limit: 10_000 })
    assert.deepEqual(values('resource.service.name', 2, 'limit=3').tag, { scope: 'resource', name: 'service.name' })
    assert.equal(values('resource.service.name', 2, 'limit=3').limit, 3)
    assert.equal(error(() => values('not valid', 2)), 'please provide a valid tagName: unexpected IDENTIFIER in not valid')
    assert.equal(error(() => values('', 1)), 'please provide a non-empty tagName')
  })
})
