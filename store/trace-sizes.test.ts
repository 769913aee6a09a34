import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TraceSizes } from './trace-sizes.ts'

describe('TraceSizes', () => {
  it('allows up to the limit inclusive, then refuses for good', () => {
    const t = new TraceSizes()
    assert.equal(t.allow('a', 60, 100, 0), true)
    assert.equal(t.allow('a', 40, 100, 0), true)
    assert.equal(t.allow('a', 1, 100, 0), false)
    assert.equal(t.allow('a', 0, 100, 0), false)
    assert.equal(t.allow('b', 100, 100, 0), true)
  })

  it('drops entries idle since a time, which lifts the refusal', () => {
    const t = new TraceSizes()
    t.allow('a', 200, 100, 10)
    t.allow('b', 1, 100, 20)
    assert.equal(t.pruneIdle(15), 1)
    assert.equal(t.size, 1)
    assert.equal(t.allow('a', 50, 100, 30), true)
  })
})
