import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidArgumentError } from '../common/errors.ts'
import { parsePartialParam, parseTraceByIdParams } from './params.ts'

const parse = (q: Record<string, string>) => parseTraceByIdParams((n) => q[n])

describe('parseTraceByIdParams (Tempo ValidateAndSanitizeRequest)', () => {
  it('defaults to mode all and no time range', () => {
    assert.deepEqual(parse({}), { mode: 'all', start: 0, end: 0 })
    assert.deepEqual(parse({ mode: '', start: '', end: '' }), { mode: 'all', start: 0, end: 0 })
  })

  it('accepts every Tempo mode and a proper range', () => {
    for (const mode of ['all', 'blocks', 'external']) assert.equal(parse({ mode }).mode, mode)
    assert.deepEqual(parse({ start: '100', end: '200' }), { mode: 'all', start: 100, end: 200 })
    assert.deepEqual(parse({ start: '+100', end: '200' }).start, 100)
  })

  it('looks at nothing else in mode ingesters, as Tempo does', () => {
    assert.deepEqual(parse({ mode: 'ingesters', start: 'x' }), { mode: 'ingesters', start: 0, end: 0 })
  })

  it('checks block ids as UUIDs', () => {
    assert.equal(parse({ blockStart: '00000000-0000-0000-0000-000000000000' }).blockStart, '00000000-0000-0000-0000-000000000000')
    assert.equal(parse({ blockEnd: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' }).blockEnd, 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF')
  })

  const bad: [Record<string, string>, string][] = [
    [{ mode: 'bogus' }, 'invalid value for mode bogus'],
    [{ start: 'abc', end: '10' }, 'invalid start: strconv.ParseInt: parsing "abc": invalid syntax'],
    [{ start: '1.5', end: '10' }, 'invalid start: strconv.ParseInt: parsing "1.5": invalid syntax'],
    [{ start: '1', end: 'x' }, 'invalid end: strconv.ParseInt: parsing "x": invalid syntax'],
    [{ start: '99999999999999999999', end: '1' }, 'invalid start: strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    [{ start: '200', end: '100' }, 'http parameter start must be before end. received start=200 end=100'],
    [{ start: '100', end: '100' }, 'http parameter start must be before end. received start=100 end=100'],
    [{ start: '100' }, 'only one of start and end provided: must provide both or neither'],
    [{ end: '100' }, 'only one of start and end provided: must provide both or neither'],
    [{ blockStart: 'nope' }, 'invalid value for blockstart: invalid UUID length: 4'],
    [{ blockEnd: 'zzzzzzzz-0000-0000-0000-000000000000' }, 'invalid value for blockEnd: invalid UUID format'],
  ]
  for (const [q, message] of bad) {
    it(`refuses ${JSON.stringify(q)}: ${message}`, () => {
      assert.throws(() => parse(q), (err: unknown) => err instanceof InvalidArgumentError && err.message === message)
    })
  }
})

describe('parsePartialParam', () => {
  it('takes the configured default when absent or empty', () => {
    assert.equal(parsePartialParam(undefined, false), false)
    assert.equal(parsePartialParam('', true), true)
  })

  it('accepts Go strconv.ParseBool forms', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parsePartialParam(t, false), true, t)
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parsePartialParam(f, true), false, f)
  })

  it('refuses anything else with a 400', () => {
    assert.throws(() => parsePartialParam('yes', false), (e: unknown) => e instanceof InvalidArgumentError && e.message === 'invalid partial: strconv.ParseBool: parsing "yes": invalid syntax')
  })
})
