import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { httpStatusOf } from '../common/errors.ts'
import { parseOrgId } from './tenant.ts'

function statusOf (header: string | undefined): number {
  try { parseOrgId(header) } catch (err) { return httpStatusOf(err) }
  return 200
}

describe('parseOrgId (dskit tenant rules)', () => {
  it('takes one tenant, strips a subtenant, and sorts and dedupes a|b lists', () => {
    assert.deepEqual(parseOrgId('team-1'), ['team-1'])
    assert.deepEqual(parseOrgId("A.b_c!*'()"), ["A.b_c!*'()"])
    assert.deepEqual(parseOrgId('123:k6'), ['123'])
    assert.deepEqual(parseOrgId('b|a|b:x'), ['a', 'b'])
  })

  it('answers 401 without an org id and 400 for an invalid one', () => {
    assert.equal(statusOf(undefined), 401)
    assert.equal(statusOf(''), 401)
    assert.equal(statusOf('a b'), 400)
    assert.equal(statusOf('a/b'), 400)
    assert.equal(statusOf('.'), 400)
    assert.equal(statusOf('..'), 400)
    assert.equal(statusOf('x'.repeat(151)), 400)
    assert.equal(statusOf('x'.repeat(150)), 200)
    assert.equal(statusOf('a|'), 400)
    assert.equal(statusOf('a|b c'), 400)
  })
})
