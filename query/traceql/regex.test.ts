import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { httpStatusOf, InvalidArgumentError } from '../../common/errors.ts'
import { compileTraceQL } from './compile.ts'
import { DEFAULT_MAX_REGEX_LENGTH } from './regex.ts'
import { makeTrace } from './testing/build.ts'

/** Regexes run on RE2 (re2js): linear time, bounded pattern length, 400 on a bad pattern. */
describe('regular expressions', () => {
  it('cannot be made to backtrack: (a+)+$ against 50,000 a\'s and a b finishes (and does not match)', () => {
    const long = 'a'.repeat(50_000) + 'b'
    const trace = makeTrace([{ service: 'svc', spans: [{ id: 1, attrs: { x: long } }, { id: 2, attrs: { x: 'aaa' } }] }])
    const m = compileTraceQL('{ span.x =~ "(a+)+$" }').match(trace, { spss: 10 })
    assert.deepEqual(m?.spanSets[0]?.spans.map((s) => s.spanId.readUInt32BE(4)), [2])
    const n = compileTraceQL('{ span.x !~ "(a|aa)*(a+)+$" }').match(trace, { spss: 10 })
    assert.deepEqual(n?.spanSets[0]?.spans.map((s) => s.spanId.readUInt32BE(4)), [1])
  })

  it(`accepts patterns up to ${DEFAULT_MAX_REGEX_LENGTH} characters and rejects longer ones with a 400 naming the limit`, () => {
    const ok = 'a'.repeat(DEFAULT_MAX_REGEX_LENGTH)
    assert.ok(compileTraceQL(`{ name =~ "${ok}" }`))
    const err = catchError(() => compileTraceQL(`{ name =~ "${ok}b" }`))
    assert.ok(err instanceof InvalidArgumentError)
    assert.equal(httpStatusOf(err), 400)
    assert.equal(err.message, 'regular expression is 1001 characters long; the limit is 1000')
  })

  it('takes the limit from the options', () => {
    assert.ok(compileTraceQL('{ name =~ "abc" }', { maxRegexLength: 3 }))
    assert.equal(catchError(() => compileTraceQL('{ name !~ "abcd" }', { maxRegexLength: 3 })).message, 'regular expression is 4 characters long; the limit is 3')
  })

  it('rejects an invalid pattern with a 400 that quotes it', () => {
    const err = catchError(() => compileTraceQL('{ span.x =~ "(a" }'))
    assert.ok(err instanceof InvalidArgumentError)
    assert.match(err.message, /^invalid regular expression "\(a": .*missing closing \)/)
    assert.match(catchError(() => compileTraceQL('{ name =~ "a{2,1}" }')).message, /^invalid regular expression "a\{2,1\}"/)
    // Perl syntax that RE2 does not have is invalid too, not silently different.
    assert.match(catchError(() => compileTraceQL('{ name =~ "(?=a)" }')).message, /^invalid regular expression/)
  })
})

function catchError (fn: () => unknown): Error {
  try { fn() } catch (err) { return err as Error }
  assert.fail('expected an error')
}
