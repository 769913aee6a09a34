import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TracesData } from '../../common/otlp/model.ts'
import { compileTraceQL } from './compile.ts'
import { makeTrace } from './testing/build.ts'

/**
 * What a spanset filter `{ … }` selects, on one hand-built trace: every operator, scope,
 * intrinsic, nil check, regex and type rule. Spans are named by number so an answer reads as
 * the set of spans it selects.
 *
 *   resource api (env=prod, shared=res, region=eu)     resource db (no service.name attribute
 *     1 root  server ok     10 ms                         of type string: service.name = 7)
 *     2 ← 1   client error  3 ms  "boom"                    4 ← 3 internal unset 1 ms
 *     3 ← 2   producer      2 ms                            5 ← 4 consumer       0 ms
 */
const TRACE: TracesData = makeTrace([
  {
    service: 'api',
    attrs: { env: 'prod', shared: 'res', region: 'eu' },
    spans: [
      { id: 1, name: 'GET /users', kind: 2, status: 1, startMs: 0, durationMs: 10, attrs: { 'http.status_code': 200n, shared: 'span', ratio: 0.5, flag: true, 'a b': 'spaced', tags: ['x'], blob: Buffer.from('x') } },
      { id: 2, parent: 1, name: 'SELECT users', kind: 3, status: 2, message: 'boom', startMs: 1, durationMs: 3, attrs: { 'http.status_code': 500n, 'db.system': 'postgres', ratio: 2, flag: false, multi: 'line1\nline2' } },
      { id: 3, parent: 2, name: 'enqueue', kind: 4, startMs: 2, durationMs: 2, attrs: { 'http.status_code': '404', count: 3n, ratio: 3n, region: 'us' } },
    ],
  },
  {
    attrs: { 'service.name': 7n, shared: 'db-res' },
    spans: [
      { id: 4, parent: 3, name: 'query', kind: 1, startMs: 3, durationMs: 1, attrs: { count: 10n, 'é': 'ü' } },
      { id: 5, parent: 4, name: 'QUERY', kind: 5, startMs: 4, durationMs: 0, attrs: { count: -1n, ratio: Number.NaN } },
    ],
  },
])

/** The numbers of the spans the query returns, or null when the trace does not match. */
function spans (query: string, trace: TracesData = TRACE): number[] | null {
  const m = compileTraceQL(query).match(trace, { spss: 100 })
  return m === null ? null : (m.spanSets[0]?.spans ?? []).map((s) => s.spanId.readUInt32BE(4))
}

describe('spanset filters: comparison operators', () => {
  it('compares integers with = != < <= > >=', () => {
    assert.deepEqual(spans('{ span.count = 3 }'), [3])
    assert.deepEqual(spans('{ span.count != 3 }'), [4, 5])
    assert.deepEqual(spans('{ span.count < 3 }'), [5])
    assert.deepEqual(spans('{ span.count <= 3 }'), [3, 5])
    assert.deepEqual(spans('{ span.count > 3 }'), [4])
    assert.deepEqual(spans('{ span.count >= 3 }'), [3, 4])
  })

  it('compares ints and floats numerically, in both directions', () => {
    assert.deepEqual(spans('{ span.ratio = 2 }'), [2])
    assert.deepEqual(spans('{ span.ratio >= 2.0 }'), [2, 3])
    assert.deepEqual(spans('{ span.ratio < 1 }'), [1])
    assert.deepEqual(spans('{ 1 > span.ratio }'), [1])
    assert.deepEqual(spans('{ span.ratio = 3.0 }'), [3])
  })

  it('treats NaN as unequal to everything', () => {
    assert.deepEqual(spans('{ span.ratio != 1.5 }'), [1, 2, 3, 5])
    assert.deepEqual(spans('{ span.ratio < 100 || span.ratio >= 100 }'), [1, 2, 3])
  })

  it('compares strings, ordering them by code point', () => {
    assert.deepEqual(spans('{ name = "query" }'), [4])
    assert.deepEqual(spans('{ name != "query" }'), [1, 2, 3, 5])
    assert.deepEqual(spans('{ name < "a" }'), [1, 2, 5])
    assert.deepEqual(spans('{ name >= "q" }'), [4])
    assert.deepEqual(spans('{ span."é" > "z" }'), [4])
  })

  it('compares booleans with = and !=', () => {
    assert.deepEqual(spans('{ span.flag = true }'), [1])
    assert.deepEqual(spans('{ span.flag != true }'), [2])
    assert.deepEqual(spans('{ span.flag }'), [1])
    assert.deepEqual(spans('{ !span.flag }'), [2, 3, 4, 5])
  })

  it('is false, not an error, when the value has another type, for != too', () => {
    assert.equal(spans('{ span.http.status_code = "200" }'), null)
    assert.deepEqual(spans('{ span.http.status_code != 200 }'), [2])
    assert.deepEqual(spans('{ span.http.status_code != "x" }'), [3])
    assert.equal(spans('{ span.flag = 1 }'), null)
    assert.equal(spans('{ span.count = error }'), null)
    assert.equal(spans('{ span.count = true }'), null)
  })

  it('never matches array, bytes and other non-scalar values except by the nil checks', () => {
    assert.equal(spans('{ span.tags = "x" || span.tags != "x" || span.blob = "x" || span.blob != "y" }'), null)
    assert.deepEqual(spans('{ span.tags != nil && span.blob != nil }'), [1])
  })

  it('compares field with field', () => {
    assert.equal(spans('{ span.count > span.ratio }'), null)
    assert.deepEqual(spans('{ span.count = span.ratio }'), [3])
    assert.equal(spans('{ span.region = resource.region }'), null)
    assert.deepEqual(spans('{ span.region != resource.region }'), [3])
  })

  it('decides literal-only comparisons once', () => {
    assert.deepEqual(spans('{ 1 = 1.0 }'), [1, 2, 3, 4, 5])
    assert.equal(spans('{ "a" > "b" }'), null)
    assert.deepEqual(spans('{ true }'), [1, 2, 3, 4, 5])
    assert.equal(spans('{ false }'), null)
  })
})

describe('spanset filters: scopes', () => {
  it('span. reads the span, resource. its resource', () => {
    assert.deepEqual(spans('{ span.shared = "span" }'), [1])
    assert.deepEqual(spans('{ resource.shared = "res" }'), [1, 2, 3])
    assert.deepEqual(spans('{ resource.env = "prod" }'), [1, 2, 3])
    assert.equal(spans('{ span.env = "prod" }'), null)
  })

  it('unscoped .x matches when the span\'s or the resource\'s value satisfies the comparison', () => {
    assert.deepEqual(spans('{ .shared = "res" }'), [1, 2, 3])
    assert.deepEqual(spans('{ .shared = "span" }'), [1])
    assert.deepEqual(spans('{ .region = "us" }'), [3])
    assert.deepEqual(spans('{ .region = "eu" }'), [1, 2, 3])
    assert.deepEqual(spans('{ .env = "prod" && .count = 3 }'), [3])
  })

  it('reads dotted and quoted keys', () => {
    assert.deepEqual(spans('{ span.db.system = "postgres" }'), [2])
    assert.deepEqual(spans('{ span."a b" = "spaced" }'), [1])
    assert.deepEqual(spans('{ ."a b" = "spaced" }'), [1])
    assert.deepEqual(spans('{ resource.service.name = "api" }'), [1, 2, 3])
    assert.deepEqual(spans('{ resource.service.name = 7 }'), [4, 5])
  })
})

describe('spanset filters: intrinsics', () => {
  it('name, status, statusMessage and kind', () => {
    assert.deepEqual(spans('{ status = error }'), [2])
    assert.deepEqual(spans('{ status = ok }'), [1])
    assert.deepEqual(spans('{ status = unset }'), [3, 4, 5])
    assert.deepEqual(spans('{ status != unset }'), [1, 2])
    assert.deepEqual(spans('{ statusMessage = "boom" }'), [2])
    assert.deepEqual(spans('{ kind = server }'), [1])
    assert.deepEqual(spans('{ kind = client || kind = producer || kind = consumer || kind = internal }'), [2, 3, 4, 5])
    assert.equal(spans('{ kind = unspecified }'), null)
    assert.deepEqual(spans('{ span:name = "enqueue" }'), [3])
  })

  it('duration, in any unit and against plain numbers (nanoseconds)', () => {
    assert.deepEqual(spans('{ duration > 2ms }'), [1, 2])
    assert.deepEqual(spans('{ duration >= 2ms }'), [1, 2, 3])
    assert.deepEqual(spans('{ duration = 1000000 }'), [4])
    assert.deepEqual(spans('{ duration < 0.5ms }'), [5])
    assert.deepEqual(spans('{ duration >= 0.01s && duration <= 10000us }'), [1])
  })

  it('trace-level intrinsics hold for every span or none', () => {
    assert.deepEqual(spans('{ traceDuration = 10ms }'), [1, 2, 3, 4, 5])
    assert.equal(spans('{ traceDuration > 10ms }'), null)
    assert.deepEqual(spans('{ rootName = "GET /users" && kind = client }'), [2])
    assert.deepEqual(spans('{ rootServiceName = "api" && span.count > 0 }'), [3, 4])
    assert.deepEqual(spans('{ trace:rootService = "api" && trace:rootName =~ "GET.*" && trace:duration < 1s }'), [1, 2, 3, 4, 5])
  })

  it('rootName and rootServiceName have no value without a root span', () => {
    const rootless = makeTrace([{ service: 'api', spans: [{ id: 2, parent: 1, name: 'orphan' }] }])
    assert.equal(spans('{ rootName = "orphan" }', rootless), null)
    assert.equal(spans('{ rootName != "x" }', rootless), null)
    assert.equal(spans('{ rootServiceName =~ ".*" }', rootless), null)
  })
})

describe('spanset filters: nil', () => {
  it('= nil holds when the attribute is absent, != nil when present', () => {
    assert.deepEqual(spans('{ span.count = nil }'), [1, 2])
    assert.deepEqual(spans('{ span.count != nil }'), [3, 4, 5])
    assert.deepEqual(spans('{ resource.env != nil }'), [1, 2, 3])
    assert.deepEqual(spans('{ resource.env = nil }'), [4, 5])
  })

  it('unscoped: = nil when neither span nor resource has it, != nil when either has it', () => {
    assert.deepEqual(spans('{ .region = nil }'), [4, 5])
    assert.deepEqual(spans('{ .region != nil }'), [1, 2, 3])
    assert.equal(spans('{ .shared = nil }'), null)
  })
})

describe('spanset filters: regular expressions', () => {
  it('match the whole value (anchored at both ends, as Tempo)', () => {
    assert.equal(spans('{ name =~ "GET" }'), null)
    assert.deepEqual(spans('{ name =~ "GET.*" }'), [1])
    assert.deepEqual(spans('{ name =~ ".*users" }'), [1, 2])
    assert.deepEqual(spans('{ name =~ "query|enqueue" }'), [3, 4])
    assert.deepEqual(spans('{ name !~ ".*[a-z].*" }'), [5])
  })

  it('let . match newlines and take RE2 flags', () => {
    assert.deepEqual(spans('{ span.multi =~ "line1.line2" }'), [2])
    assert.deepEqual(spans('{ name =~ "(?i)query" }'), [4, 5])
  })

  it('apply to resource and unscoped attributes, and only to strings', () => {
    assert.deepEqual(spans('{ resource.env =~ "pr.d" }'), [1, 2, 3])
    assert.deepEqual(spans('{ .shared =~ "db-.*" }'), [4, 5])
    assert.deepEqual(spans('{ span.http.status_code =~ "4.*" }'), [3])
    assert.equal(spans('{ span.http.status_code !~ "4.*" }'), null)
  })
})

describe('spanset filters: boolean structure', () => {
  it('&& and || share one precedence level and associate left, as in Tempo', () => {
    // (name = query || name = QUERY) && count > 0
    assert.deepEqual(spans('{ name = "query" || name = "QUERY" && span.count > 0 }'), [4])
    assert.deepEqual(spans('{ name = "query" || (name = "QUERY" && span.count > 0) }'), [4])
    assert.deepEqual(spans('{ span.count > 0 && name = "query" || name = "QUERY" }'), [4, 5])
  })

  it('! negates a parenthesised expression, and an absent attribute makes the comparison false', () => {
    assert.deepEqual(spans('{ !(span.count > 0) }'), [1, 2, 5])
    assert.deepEqual(spans('{ !(status = error || status = ok) }'), [3, 4, 5])
    assert.deepEqual(spans('{ !!(status = error) }'), [2])
  })
})
