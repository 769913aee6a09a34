import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { PrefilterCondition, SpanPrefilter } from '../../common/search/prefilter.ts'
import { compileTraceQL } from './compile.ts'
import { MAX_ALTERNATIVES } from './prefilter.ts'

/**
 * The prefilter derived from queries, written compactly: each conjunction as a list of
 * `scope:key op value` strings. That it never prunes a returned span is the property in
 * differential.property.test.ts; these pin what it contains.
 */
function pf (query: string): string[][] | undefined {
  return show(compileTraceQL(query).prefilter)
}

function show (p: SpanPrefilter | undefined): string[][] | undefined {
  return p?.anyOf.map((conj) => conj.map(text))
}

function text (c: PrefilterCondition): string {
  const field = c.field.scope === 'intrinsic' ? c.field.name : `${c.field.scope}:${c.field.key}`
  return `${field} ${c.op} ${typeof c.value === 'bigint' ? `${c.value}n` : JSON.stringify(c.value)}`
}

describe('derived prefilter', () => {
  it('takes comparisons of intrinsics and attributes with literals from the top-level &&', () => {
    assert.deepEqual(pf('{ name = "GET" && duration > 1s }'), [['name = "GET"', 'duration > 1000000000n']])
    assert.deepEqual(pf('{ status = error && kind = server && statusMessage != "" }'), [['status = 2n', 'kind = 2n', 'statusMessage != ""']])
    assert.deepEqual(pf('{ span.http.status_code >= 500 && resource.service.name = "api" }'), [['span:http.status_code >= 500n', 'resource:service.name = "api"']])
    assert.deepEqual(pf('{ span.ratio < 1.5 && span.ok = true && span.d <= 2ms }'), [['span:ratio < 1.5', 'span:ok = true', 'span:d <= 2000000n']])
    assert.deepEqual(pf('{ 500 <= span.code }'), [['span:code >= 500n']])
    assert.deepEqual(pf('{ span.flag }'), [['span:flag = true']])
  })

  it('expands unscoped attributes into a span and a resource alternative', () => {
    assert.deepEqual(pf('{ .a = 1 }'), [['span:a = 1n'], ['resource:a = 1n']])
    assert.deepEqual(pf('{ .a = 1 && name = "x" && .b = "y" }'), [
      ['span:a = 1n', 'name = "x"', 'span:b = "y"'],
      ['span:a = 1n', 'name = "x"', 'resource:b = "y"'],
      ['resource:a = 1n', 'name = "x"', 'span:b = "y"'],
      ['resource:a = 1n', 'name = "x"', 'resource:b = "y"'],
    ])
    const wide = pf('{ .a = 1 && .b = 1 && .c = 1 && .d = 1 && .e = 1 && name = "n" }')
    assert.equal(wide?.length, MAX_ALTERNATIVES)
    assert.ok(wide?.every((conj) => conj.length === 5 && conj.includes('name = "n"') && !conj.some((c) => c.includes(':e '))))
  })

  it('ignores what cannot be pruned on: regex, ||, !, nil, trace intrinsics, field vs field, floats against duration', () => {
    assert.deepEqual(pf('{ span.a = 1 || span.b = 2 && span.c = 3 }'), [['span:c = 3n']])
    assert.deepEqual(pf('{ rootName = "x" && traceDuration > 1s && name = "y" && span.a =~ "b.*" && span.c != nil }'), [['name = "y"']])
    assert.deepEqual(pf('{ name = "y" && !(span.a = 1) && span.a = span.b && duration > 1.5 && span.s = error }'), [['name = "y"']])
  })

  it('is undefined when some filter gives no condition at all', () => {
    for (const q of ['{}', '{ span.a =~ "x" }', '{ span.a = 1 || span.b = 2 }', '{ span.a = nil }', '{ true }', '{ name = "a" } > {}', '{} | { name = "a" }']) {
      assert.equal(pf(q), undefined, q)
    }
  })

  it('is the union over all filters of span-set operators and pipeline stages, without repeats', () => {
    assert.deepEqual(pf('{ name = "a" } && { name = "b" } >> { kind = client }'), [['name = "a"'], ['name = "b"'], ['kind = 3n']])
    assert.deepEqual(pf('{ name = "a" } | { duration > 1s } | count() > 1'), [['name = "a"'], ['duration > 1000000000n']])
    assert.deepEqual(pf('({ name = "a" } | count() > 1) || { name = "a" }'), [['name = "a"']])
  })
})
