import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { KeyValue, TracesData } from '../../common/otlp/model.ts'
import type { TraceMatch } from '../search/types.ts'
import { compileTraceQL } from './compile.ts'
import { MAX_OPERATORS } from './parser.ts'
import { makeTrace, spanId, TRACE_ID } from './testing/build.ts'

/**
 * Span-set operations, structural operators, pipelines and what a match reports, on one
 * hand-built trace:
 *
 *   api: 1 "GET /" server (root, 0–20 ms)           db: 5 "SELECT" server error ← 3
 *        ├─ 2 "auth" client step=1                       └─ 6 "disk" internal
 *        │   └─ 3 "db" client error step=2                7 "orphan" ← 99 (not in the trace)
 *        └─ 4 "render" internal step=3
 */
const TRACE: TracesData = makeTrace([
  {
    service: 'api',
    attrs: { env: 'prod', shared: 'res' },
    spans: [
      { id: 1, name: 'GET /', kind: 2, startMs: 0, durationMs: 20 },
      { id: 2, parent: 1, name: 'auth', kind: 3, startMs: 1, durationMs: 5, attrs: { step: 1n, shared: 'span' } },
      { id: 3, parent: 2, name: 'db', kind: 3, status: 2, message: 'timeout', startMs: 2, durationMs: 3, attrs: { step: 2n } },
      { id: 4, parent: 1, name: 'render', kind: 1, startMs: 6, durationMs: 10, attrs: { step: 3n } },
    ],
  },
  {
    service: 'db',
    spans: [
      { id: 5, parent: 3, name: 'SELECT', kind: 2, status: 2, startMs: 2, durationMs: 2, attrs: { step: 4n } },
      { id: 6, parent: 5, name: 'disk', kind: 1, startMs: 3, durationMs: 1 },
      { id: 7, parent: 99, name: 'orphan', startMs: 30, durationMs: 5.5 },
    ],
  },
])

function run (query: string, trace: TracesData = TRACE, spss = 100): TraceMatch | null {
  return compileTraceQL(query).match(trace, { spss })
}

function spans (query: string, trace: TracesData = TRACE): number[] | null {
  const m = run(query, trace)
  return m === null ? null : (m.spanSets[0]?.spans ?? []).map((s) => s.spanId.readUInt32BE(4))
}

function setAttributes (query: string): KeyValue[] | null {
  return run(query)?.spanSets[0]?.attributes ?? null
}

describe('span-set operators', () => {
  it('&& needs both sides to match and returns the union', () => {
    assert.deepEqual(spans('{ name = "auth" } && { name = "disk" }'), [2, 6])
    assert.equal(spans('{ name = "auth" } && { name = "nope" }'), null)
    assert.deepEqual(spans('{ kind = client } && { status = error }'), [2, 3, 5])
  })

  it('|| needs one side and returns the union', () => {
    assert.deepEqual(spans('{ name = "auth" } || { name = "nope" }'), [2])
    assert.deepEqual(spans('{ name = "disk" } || { name = "auth" }'), [2, 6])
    assert.equal(spans('{ name = "x" } || { name = "y" }'), null)
  })

  it('> returns the right-hand spans whose parent matched the left', () => {
    assert.deepEqual(spans('{ name = "GET /" } > {}'), [2, 4])
    assert.deepEqual(spans('{ kind = server } > { kind = internal }'), [4, 6])
    assert.equal(spans('{} > { name = "orphan" }'), null)
    assert.equal(spans('{ name = "GET /" } > { name = "db" }'), null)
  })

  it('>> returns the right-hand spans with an ancestor on the left', () => {
    assert.deepEqual(spans('{ name = "GET /" } >> {}'), [2, 3, 4, 5, 6])
    assert.deepEqual(spans('{ status = error } >> { status = error }'), [5])
    assert.deepEqual(spans('{ name = "auth" } >> { kind = internal }'), [6])
  })

  it('< returns the parents and << the ancestors of the left-hand spans', () => {
    assert.deepEqual(spans('{ name = "db" } < {}'), [2])
    assert.deepEqual(spans('{ name = "disk" } << {}'), [1, 2, 3, 5])
    assert.deepEqual(spans('{ name = "disk" } << { kind = client }'), [2, 3])
  })

  it('~ returns the right-hand spans that share a parent with another left-hand span', () => {
    assert.deepEqual(spans('{ name = "auth" } ~ {}'), [4])
    assert.deepEqual(spans('{ kind != server } ~ { kind != server }'), [2, 4])
    assert.equal(spans('{ name = "GET /" } ~ {}'), null)
  })

  it('structural operators bind tighter than && and ||, and all associate left', () => {
    assert.deepEqual(spans('{ name = "render" } || { name = "GET /" } > { name = "auth" }'), [2, 4])
    assert.deepEqual(spans('({ name = "render" } || { name = "GET /" }) > { name = "auth" }'), [2])
    assert.deepEqual(spans('{ name = "GET /" } > { name = "auth" } > { name = "db" }'), [3])
    assert.equal(spans('{ name = "GET /" } > ({ name = "auth" } > { name = "db" })'), null)
  })

  it('terminates on parent cycles: a span that is its own parent, and two spans naming each other', () => {
    const cyclic = makeTrace([{
      service: 'x',
      spans: [
        { id: 1, parent: 1, name: 'self' },
        { id: 2, parent: 3, name: 'a' },
        { id: 3, parent: 2, name: 'b' },
        { id: 4, parent: 3, name: 'c' },
      ],
    }])
    assert.deepEqual(spans('{} > { name = "self" }', cyclic), [1])
    assert.deepEqual(spans('{ name = "a" } >> {}', cyclic), [2, 3, 4])
    assert.deepEqual(spans('{ name = "c" } << {}', cyclic), [2, 3])
    assert.deepEqual(spans('{ name = "a" } << { name = "a" }', cyclic), [2])
    assert.deepEqual(spans('{ name = "a" } ~ {}', cyclic), [4])
  })
})

describe('parent links', () => {
  it('join on the exact id bytes, whatever they are (zero, negative zero, NaN patterns, odd lengths)', () => {
    const ids = ['0000000000000000', '8000000000000000', 'fff8000000000000', 'fff8000000000001', '7ff0000000000001', '01', '0102']
      .map((h) => Buffer.from(h, 'hex'))
    const trace = makeTrace([{ service: 'x', spans: ids.map((_, i) => ({ id: i + 1, name: `n${i}` })) }])
    const spanList = trace.resourceSpans[0]?.scopeSpans[0]?.spans ?? []
    // A chain in id order: each span's parent is the one before it.
    spanList.forEach((s, i) => { s.spanId = ids[i] as Buffer; s.parentSpanId = i === 0 ? Buffer.alloc(0) : ids[i - 1] as Buffer })
    const names = (q: string): string[] | undefined => run(q, trace)?.spanSets[0]?.spans.map((x) => x.name)
    assert.deepEqual(names('{} > {}'), ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'])
    assert.deepEqual(names('{ name = "n2" } > {}'), ['n3'])
    assert.deepEqual(names('{ name = "n1" } >> { name = "n6" }'), ['n6'])
    assert.deepEqual(names('{ name = "n5" } << {}'), ['n0', 'n1', 'n2', 'n3', 'n4'])
  })
})

describe('pipelines', () => {
  it('count() keeps or drops the span set and reports its value', () => {
    assert.deepEqual(spans('{ kind = client } | count() = 2'), [2, 3])
    assert.deepEqual(setAttributes('{ kind = client } | count() = 2'), [{ key: 'count()', value: { kind: 'int', value: 2n } }])
    assert.equal(spans('{ kind = client } | count() > 2'), null)
  })

  it('avg, min, max and sum aggregate numeric attributes and durations', () => {
    assert.deepEqual(setAttributes('{} | avg(span.step) = 2.5'), [{ key: 'avg(span.step)', value: { kind: 'double', value: 2.5 } }])
    assert.deepEqual(setAttributes('{} | min(span.step) = 1 | max(.step) = 4 | sum(span.step) >= 10'), [
      { key: 'min(span.step)', value: { kind: 'int', value: 1n } },
      { key: 'max(.step)', value: { kind: 'int', value: 4n } },
      { key: 'sum(span.step)', value: { kind: 'int', value: 10n } },
    ])
    assert.deepEqual(setAttributes('{ kind = client } | max(duration) = 5ms'), [{ key: 'max(duration)', value: { kind: 'int', value: 5_000_000n } }])
    assert.equal(spans('{} | sum(duration) < 1ms'), null)
  })

  it('an aggregate over spans without a numeric value has no value, so its filter fails', () => {
    assert.equal(spans('{ name = "GET /" } | avg(span.step) > 0'), null)
    assert.equal(spans('{ name = "GET /" } | sum(span.step) = 0'), null)
  })

  it('a spanset stage filters the previous stage\'s spans and keeps its attributes', () => {
    assert.deepEqual(spans('{ kind = client } | { status = error }'), [3])
    assert.deepEqual(setAttributes('{ kind = client } | count() = 2 | { status = error }'), [{ key: 'count()', value: { kind: 'int', value: 2n } }])
    assert.equal(spans('{ kind = client } | { kind = server }'), null)
  })

  it('parenthesised pipelines combine with span-set operators (whose result starts afresh, as in Tempo)', () => {
    assert.deepEqual(spans('({ kind = client } | count() = 2) && { name = "disk" }'), [2, 3, 6])
    assert.deepEqual(setAttributes('({ kind = client } | count() = 2) && { name = "disk" }'), [])
    assert.equal(spans('({ kind = client } | count() = 3) && { name = "disk" }'), null)
  })

  it('select() adds the named fields to every returned span', () => {
    const m = run('{ name = "auth" } | select(span.step, resource.service.name, status, kind, statusMessage, duration, name, traceDuration)')
    // name, duration and traceDuration are span fields or trace-level, not span attributes.
    assert.deepEqual(m?.spanSets[0]?.spans[0]?.attributes, [
      { key: 'step', value: { kind: 'int', value: 1n } },
      { key: 'service.name', value: { kind: 'string', value: 'api' } },
      { key: 'status', value: { kind: 'string', value: 'unset' } },
      { key: 'kind', value: { kind: 'string', value: 'client' } },
      { key: 'statusMessage', value: { kind: 'string', value: '' } },
    ])
  })
})

describe('what a match reports', () => {
  it('the trace fields: id, root service and name, start, duration in ms (floor), service stats', () => {
    const m = run('{ status = error }')
    assert.ok(m !== null)
    assert.deepEqual(m.traceId, TRACE_ID)
    assert.equal(m.rootServiceName, 'api')
    assert.equal(m.rootTraceName, 'GET /')
    assert.equal(m.startTimeUnixNano, 1_700_000_000_000_000_000n)
    assert.equal(m.durationMs, 35) // the orphan ends at 35.5 ms
    assert.deepEqual({ ...m.serviceStats }, { api: { spanCount: 4, errorCount: 1 }, db: { spanCount: 3, errorCount: 1 } })
  })

  it('each span: id, name, start, duration, and the attributes the conditions referenced', () => {
    const m = run('{ span.step >= 2 && .env = "prod" || .shared != nil }')
    assert.deepEqual(m?.spanSets[0]?.spans.map((s) => ({ id: s.spanId.readUInt32BE(4), attrs: s.attributes.map((a) => `${a.key}=${String((a.value as { value: unknown }).value)}`) })), [
      { id: 1, attrs: ['env=prod', 'shared=res'] },
      { id: 2, attrs: ['step=1', 'env=prod', 'shared=span'] },
      { id: 3, attrs: ['step=2', 'env=prod', 'shared=res'] },
      { id: 4, attrs: ['step=3', 'env=prod', 'shared=res'] },
    ])
    const s = run('{ name = "db" }')?.spanSets[0]?.spans[0]
    assert.deepEqual(s, { spanId: spanId(3), name: 'db', startTimeUnixNano: 1_700_000_000_002_000_000n, durationNanos: 3_000_000n, attributes: [] })
  })

  it('spss bounds the spans shown; matched counts them all', () => {
    const m = run('{}', TRACE, 2)
    assert.deepEqual(m?.spanSets[0]?.spans.map((s) => s.spanId.readUInt32BE(4)), [1, 2])
    assert.equal(m?.spanSets[0]?.matched, 7)
  })

  it('without a root span: Tempo\'s placeholder service name and an empty root name', () => {
    const m = run('{}', makeTrace([{ service: 'x', spans: [{ id: 2, parent: 1 }] }, { spans: [{ id: 3, parent: 1, status: 2 }] }]))
    assert.equal(m?.rootServiceName, '<root span not yet received>')
    assert.equal(m?.rootTraceName, '')
    assert.deepEqual({ ...m?.serviceStats }, { x: { spanCount: 1, errorCount: 0 }, '': { spanCount: 1, errorCount: 1 } })
  })

  it('a trace without spans never matches', () => {
    assert.equal(run('{}', { resourceSpans: [] }), null)
    assert.equal(run('{}', { resourceSpans: [{ resource: null, scopeSpans: [{ scope: null, spans: [], schemaUrl: '' }], schemaUrl: '' }] }), null)
  })

  it('a service named __proto__ is a plain key of serviceStats', () => {
    const m = run('{}', makeTrace([{ service: '__proto__', spans: [{ id: 1 }] }]))
    assert.deepEqual(Object.entries(m?.serviceStats ?? {}), [['__proto__', { spanCount: 1, errorCount: 0 }]])
  })

  it('runs the largest query the parser accepts without exhausting the stack', () => {
    const chain = Array.from({ length: MAX_OPERATORS + 1 }, () => '{}')
    assert.deepEqual(spans(chain.join(' > ')), null)
    assert.deepEqual(spans(chain.join(' && ')), [1, 2, 3, 4, 5, 6, 7])
    const filter = `{ ${Array.from({ length: MAX_OPERATORS + 1 }, () => 'true').join(' && ')} }`
    assert.equal(spans(filter)?.length, 7)
  })
})
