import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseKeyFlags } from './cli-flags.ts'

describe('parseKeyFlags', () => {
  it('accepts --key=value and --key value', () => {
    assert.deepEqual(parseKeyFlags(['--broker.port=1', '--kafka.brokers', 'a:1,b:2']), { flags: { 'broker.port': '1', 'kafka.brokers': 'a:1,b:2' }, problems: [] })
  })

  it('reports stray words and missing values', () => {
    const r = parseKeyFlags(['oops', '--broker.port', '--x'])
    assert.equal(r.problems.length, 3)
    assert.match(r.problems[0] as string, /unexpected argument "oops"/)
    assert.match(r.problems[1] as string, /--broker.port needs a value/)
  })
})
