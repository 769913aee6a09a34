import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { httpStatusOf, InvalidArgumentError } from '../../common/errors.ts'
import { TraceQLParseError } from './errors.ts'
import { MAX_NESTING, MAX_OPERATORS, parseTraceQL } from './parser.ts'
import { printQuery } from './printer.ts'

/**
 * The parser by table: valid queries with their canonical printed form (which shows how the
 * tree was built: precedence, units, escapes) and invalid queries with the exact error text.
 * The round trip print → parse on random trees is in differential.property.test.ts.
 */
const VALID: [string, string][] = [
  ['{}', '{}'],
  ['{ }', '{}'],
  ['{ name = "GET /api" }', '{ name = "GET /api" }'],
  ['{ span.http.status_code >= 500 }', '{ span.http.status_code >= 500 }'],
  ['{ resource.service.name = "api" }', '{ resource.service.name = "api" }'],
  ['{ .foo = "bar" }', '{ .foo = "bar" }'],
  ['{ span."a b" = 1 }', '{ span."a b" = 1 }'],
  ['{ span."with \\"quote\\"" != nil }', '{ span."with \\"quote\\"" != nil }'],
  ['{ status = error }', '{ status = error }'],
  ['{ status != ok }', '{ status != ok }'],
  ['{ kind = server }', '{ kind = server }'],
  ['{ kind = unspecified }', '{ kind = unspecified }'],
  ['{ duration > 1.5s }', '{ duration > 1500000000ns }'],
  ['{ duration < 1h30m }', '{ duration < 5400000000000ns }'],
  ['{ duration >= 300µs }', '{ duration >= 300000ns }'],
  ['{ duration >= 300us }', '{ duration >= 300000ns }'],
  ['{ duration <= 10ms }', '{ duration <= 10000000ns }'],
  ['{ duration != 5ns }', '{ duration != 5ns }'],
  ['{ duration > 2m }', '{ duration > 120000000000ns }'],
  ['{ traceDuration > 1s }', '{ traceDuration > 1000000000ns }'],
  ['{ rootName = "x" }', '{ rootName = "x" }'],
  ['{ rootServiceName =~ "api.*" }', '{ rootServiceName =~ "api.*" }'],
  ['{ statusMessage = "boom" }', '{ statusMessage = "boom" }'],
  ['{ span.x = 1.5 }', '{ span.x = 1.5 }'],
  ['{ span.x = -2 }', '{ span.x = -2 }'],
  ['{ span.x > 1e3 }', '{ span.x > 1000.0 }'],
  ['{ span.x = true }', '{ span.x = true }'],
  ['{ span.x = false }', '{ span.x = false }'],
  ['{ span.x = "a\\tb" }', '{ span.x = "a\\tb" }'],
  ['{ span.x = `raw\\n` }', '{ span.x = "raw\\\\n" }'],
  ['{ .a = 1 && .b = 2 }', '{ .a = 1 && .b = 2 }'],
  ['{ .a = 1 || .b = 2 && .c = 3 }', '{ .a = 1 || .b = 2 && .c = 3 }'],
  ['{ .a = 1 || (.b = 2 && .c = 3) }', '{ .a = 1 || (.b = 2 && .c = 3) }'],
  ['{ !(span.x = 1) }', '{ !(span.x = 1) }'],
  ['{ !span.flag }', '{ !span.flag }'],
  ['{ span.flag && !true }', '{ span.flag && !true }'],
  ['{ !!span.flag }', '{ !!span.flag }'],
  ['{ span.x != nil }', '{ span.x != nil }'],
  ['{ span.x = nil }', '{ span.x = nil }'],
  ['{ name !~ "GET.*" }', '{ name !~ "GET.*" }'],
  ['{ 1 < span.x }', '{ 1 < span.x }'],
  ['{ span.a = span.b }', '{ span.a = span.b }'],
  ['{ .a = 1 } && { .b = 2 }', '{ .a = 1 } && { .b = 2 }'],
  ['{ .a = 1 } || { .b = 2 }', '{ .a = 1 } || { .b = 2 }'],
  ['{ .a = 1 } > { .b = 2 }', '{ .a = 1 } > { .b = 2 }'],
  ['{ .a = 1 } >> { .b = 2 }', '{ .a = 1 } >> { .b = 2 }'],
  ['{ .a = 1 } < { .b = 2 }', '{ .a = 1 } < { .b = 2 }'],
  ['{ .a = 1 } << { .b = 2 }', '{ .a = 1 } << { .b = 2 }'],
  ['{ .a = 1 } ~ { .b = 2 }', '{ .a = 1 } ~ { .b = 2 }'],
  ['{ .a = 1 } && { .b = 2 } > { .c = 3 }', '{ .a = 1 } && { .b = 2 } > { .c = 3 }'],
  ['({ .a = 1 } && { .b = 2 }) > { .c = 3 }', '({ .a = 1 } && { .b = 2 }) > { .c = 3 }'],
  ['{ .a = 1 } > ({ .b = 2 } > { .c = 3 })', '{ .a = 1 } > ({ .b = 2 } > { .c = 3 })'],
  ['({ .a = 1 } > { .b = 2 }) > { .c = 3 }', '{ .a = 1 } > { .b = 2 } > { .c = 3 }'],
  ['{} | count() > 2', '{} | count() > 2'],
  ['{} | avg(duration) > 20ms', '{} | avg(duration) > 20000000ns'],
  ['{} | min(span.x) <= 1.5', '{} | min(span.x) <= 1.5'],
  ['{} | max(.x) = 3', '{} | max(.x) = 3'],
  ['{} | sum(duration) >= 1s', '{} | sum(duration) >= 1000000000ns'],
  ['{} | select(span.a, resource.b, .c, status)', '{} | select(span.a, resource.b, .c, status)'],
  ['{ .a = 1 } | { .b = 2 } | count() > 1', '{ .a = 1 } | { .b = 2 } | count() > 1'],
  ['({ .a = 1 } | count() > 1) && { .b = 2 }', '({ .a = 1 } | count() > 1) && { .b = 2 }'],
  ['(({}))', '{}'],
  ['({} | count() > 1)', '{} | count() > 1'],
  ['{ span:name = "x" && trace:duration > 1s }', '{ name = "x" && traceDuration > 1000000000ns }'],
  ['{\n  name = "a"\n}', '{ name = "a" }'],
  ['{ span.http.url =~ "https?://.*" }', '{ span.http.url =~ "https?://.*" }'],
  ['{span.x=-1&&span.y>=2}', '{ span.x = -1 && span.y >= 2 }'],
  ['{ .service.name = "a" }', '{ .service.name = "a" }'],
  ['{ span.x = "é\\u00e9\\x41" }', '{ span.x = "ééA" }'],
  ['{ resource.k8s.pod-name = "p" }', '{ resource.k8s.pod-name = "p" }'],
]

const INVALID: [string, string][] = [
  ['',
    'parse error at line 1 col 1: expected \'{\' or \'(\' to start a spanset, found end of query'],
  ['{',
    'parse error at line 1 col 2: expected a field, a value, \'!\' or \'(\', found end of query'],
  ['{ span.x = }',
    'parse error at line 1 col 12: expected a value after \'=\', found \'}\''],
  ['{ span.x = 1',
    'parse error at line 1 col 13: expected \'&&\', \'||\' or \'}\' to close the \'{\' at line 1 col 1, found end of query'],
  ['{ name = 1 }',
    'parse error at line 1 col 10: expected a string to compare with name, found an integer 1'],
  ['{ status > error }',
    'parse error at line 1 col 10: expected one of = != for a status (error, ok, unset), found \'>\''],
  ['{ status = "error" }',
    'parse error at line 1 col 12: expected a status (error, ok, unset) to compare with status, found a string "error"'],
  ['{ duration > "1s" }',
    'parse error at line 1 col 14: expected a duration to compare with duration, found a string "1s"'],
  ['{ name }',
    'parse error at line 1 col 8: expected a comparison operator after name, found \'}\''],
  ['{ span. = 1 }',
    'parse error at line 1 col 8: expected an attribute name after \'span.\', found white space'],
  ['{ foo = 1 }',
    'parse error at line 1 col 3: expected a field, a value, \'!\' or \'(\', found \'foo\''],
  ['{ a.b = 1 }',
    'parse error at line 1 col 3: expected an attribute scope this engine supports (span., resource. or .), found \'a.\''],
  ['{ span.x = "abc }',
    'parse error at line 1 col 18: expected \'"\' to close the string that starts at line 1 col 12, found end of query'],
  ['{ span.x = "a\\q" }',
    'parse error at line 1 col 14: expected a valid escape sequence, found \'\\q\''],
  ['{ duration > 1sec }',
    'parse error at line 1 col 15: expected a duration unit (ns, us, µs, ms, s, m, h), found \'sec\''],
  ['{ span.x = 99999999999999999999 }',
    'parse error at line 1 col 12: expected an integer that fits in 64 bits, found \'99999999999999999999\''],
  ['{ span.x =~ 1 }',
    'parse error at line 1 col 13: expected a string literal (the regular expression) after \'=~\', found an integer 1'],
  ['{ span.x > nil }',
    'parse error at line 1 col 10: expected \'=\' or \'!=\' to compare with nil, found \'>\''],
  ['{ 1 = nil }',
    'parse error at line 1 col 3: expected an attribute to compare with nil, found an integer 1'],
  ['{ span.x = 1 } &&',
    'parse error at line 1 col 18: expected \'{\' or \'(\' to start a spanset, found end of query'],
  ['{ span.x = 1 } | by(span.x)',
    'parse error at line 1 col 18: expected a spanset, select(...) or an aggregate (count, avg, min, max, sum) after \'|\', found \'by\''],
  ['{} | count(duration) > 1',
    'parse error at line 1 col 12: expected \')\' (count takes no argument), found \'duration\''],
  ['{} | avg(name) > 1',
    'parse error at line 1 col 10: expected a numeric field (duration, traceDuration or an attribute) to avg, found field name'],
  ['{} | count() > "a"',
    'parse error at line 1 col 16: expected a number or duration to compare count() with, found a string "a"'],
  ['{} | count() =~ 1',
    'parse error at line 1 col 14: expected a comparison operator (= != < <= > >=) after count(), found \'=~\''],
  ['{ span.x = 1 } }',
    'parse error at line 1 col 16: expected \'|\' or the end of the query, found \'}\''],
  ['{ span.x & span.y }',
    'parse error at line 1 col 10: expected \'&&\', found \'&\''],
  ['{ span.x = 1 # }',
    'parse error at line 1 col 14: expected a TraceQL token, found \'#\''],
  ['{ !name }',
    'parse error at line 1 col 4: expected \'(\' or a boolean after \'!\', found field name'],
  ['{ span.x = 1 }\n| select()',
    'parse error at line 2 col 10: expected a field to select, found \')\''],
  ['{} | select(1)',
    'parse error at line 1 col 13: expected a field to select, found an integer 1'],
  ['{ event.x = 1 }',
    'parse error at line 1 col 3: expected an attribute scope this engine supports (span., resource. or .), found \'event.\''],
  ['{ span.x = 1e5s }',
    'parse error at line 1 col 15: expected the end of the number (durations take no exponent), found \'s\''],
  ['({} | count() > 1',
    'parse error at line 1 col 18: expected \'|\' or \')\' to close the \'(\' at line 1 col 1, found end of query'],
  ['{ name = nil }',
    'parse error at line 1 col 3: expected an attribute to compare with nil, found field name'],
  ['{ span.x = 1 } >> ',
    'parse error at line 1 col 19: expected \'{\' or \'(\' to start a spanset, found end of query'],
  ['{ kind = error }',
    'parse error at line 1 col 10: expected a kind (server, client, producer, consumer, internal, unspecified) to compare with kind, found status error'],
]

describe('parseTraceQL', () => {
  it(`parses ${VALID.length} valid queries to the expected tree`, () => {
    for (const [query, printed] of VALID) {
      const tree = parseTraceQL(query)
      assert.equal(printQuery(tree), printed, query)
      // The canonical form is a fixed point.
      assert.deepEqual(parseTraceQL(printed), tree, printed)
    }
  })

  it(`rejects ${INVALID.length} invalid queries with the position and what was expected`, () => {
    for (const [query, message] of INVALID) {
      assert.throws(() => parseTraceQL(query), (err: unknown) => {
        assert.ok(err instanceof TraceQLParseError, query)
        assert.equal(err.message, message, query)
        return true
      })
    }
  })

  it('builds the tree Tempo builds: && and || share a level, structural operators bind tighter', () => {
    const q = parseTraceQL('{ .a = 1 || .b = 2 && .c = 3 }')
    assert.equal(q.source.type, 'filter')
    const expr = q.source.type === 'filter' ? q.source.expr : null
    assert.ok(expr?.type === 'logical' && expr.op === '&&' && expr.left.type === 'logical' && expr.left.op === '||')
    const s = parseTraceQL('{} && {} > {}').source
    assert.ok(s.type === 'spansetOp' && s.op === '&&' && s.right.type === 'spansetOp' && s.right.op === '>')
  })

  it('keeps exact literal values: bigint ints, float, durations in ns, escapes', () => {
    const q = parseTraceQL('{ span.a = 9223372036854775807 && span.b = -0.0 && span.c = 1.5ms && span.d = "\\u00e9\\n" }')
    const literals: unknown[] = []
    const walk = (e: unknown): void => {
      if (e === null || typeof e !== 'object') return
      const o = e as Record<string, unknown>
      if (o.type === 'compare') literals.push(o.right)
      for (const v of Object.values(o)) walk(v)
    }
    walk(q)
    assert.deepEqual(literals, [
      { type: 'int', value: 9223372036854775807n },
      { type: 'float', value: -0 },
      { type: 'duration', value: 1_500_000n },
      { type: 'string', value: 'é\n' },
    ])
  })

  it('reports the offset, line, column, expectation and what was found as fields', () => {
    const err = catchError(() => parseTraceQL('{ name = "a" }\n  && { span.x > }'))
    assert.ok(err instanceof TraceQLParseError)
    assert.ok(err instanceof InvalidArgumentError)
    assert.equal(httpStatusOf(err), 400)
    assert.equal(err.position, 31)
    assert.equal(err.line, 2)
    assert.equal(err.column, 17)
    assert.equal(err.expected, "a value after '>'")
    assert.equal(err.found, "'}'")
  })

  it(`bounds nesting at ${MAX_NESTING} and operators at ${MAX_OPERATORS}, so no input exhausts the stack`, () => {
    const deep = '('.repeat(MAX_NESTING) + '{}' + ')'.repeat(MAX_NESTING)
    assert.equal(printQuery(parseTraceQL(deep)), '{}')
    assert.match(catchError(() => parseTraceQL('(' + deep + ')')).message, /expected at most 100 nested parentheses or negations/)
    assert.match(catchError(() => parseTraceQL('{ ' + '!'.repeat(MAX_NESTING + 1) + 'true }')).message, /at most 100 nested/)
    const chain = Array.from({ length: MAX_OPERATORS + 1 }, () => '{}').join(' && ')
    assert.ok(parseTraceQL(chain))
    assert.match(catchError(() => parseTraceQL(chain + ' && {}')).message, /expected at most 1000 operators in a query/)
    assert.match(catchError(() => parseTraceQL('('.repeat(100_000))).message, /nested/)
  })
})

function catchError (fn: () => unknown): Error {
  try { fn() } catch (err) { return err as Error }
  assert.fail('expected an error')
}
