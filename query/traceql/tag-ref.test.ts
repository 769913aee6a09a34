import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { httpStatusOf } from '../../common/errors.ts'
import { parseTagRef } from './tag-ref.ts'

describe('parseTagRef', () => {
  it('reads scoped, unscoped, dotted and quoted attribute names', () => {
    assert.deepEqual(parseTagRef('resource.service.name'), { scope: 'resource', name: 'service.name' })
    assert.deepEqual(parseTagRef('span.http.method'), { scope: 'span', name: 'http.method' })
    assert.deepEqual(parseTagRef('.foo'), { scope: 'any', name: 'foo' })
    assert.deepEqual(parseTagRef('span."a b"'), { scope: 'span', name: 'a b' })
    assert.deepEqual(parseTagRef('."quote \\" inside"'), { scope: 'any', name: 'quote " inside' })
    assert.deepEqual(parseTagRef('event.exception.message'), { scope: 'event', name: 'exception.message' })
    assert.deepEqual(parseTagRef('link.x'), { scope: 'link', name: 'x' })
    assert.deepEqual(parseTagRef('instrumentation.y'), { scope: 'instrumentation', name: 'y' })
  })

  it('reads intrinsics under their canonical names', () => {
    for (const name of ['name', 'status', 'duration', 'kind', 'statusMessage', 'rootName', 'rootServiceName', 'traceDuration']) {
      assert.deepEqual(parseTagRef(name), { scope: 'intrinsic', name })
    }
    assert.deepEqual(parseTagRef('span:name'), { scope: 'intrinsic', name: 'name' })
    assert.deepEqual(parseTagRef('trace:duration'), { scope: 'intrinsic', name: 'traceDuration' })
  })

  it('rejects anything else with a 400', () => {
    for (const bad of ['', 'foo', 'span.', 'span.a b', 'parent.x', '.a=1', '"x"', 'constructor', 'span."open', '{}', 'name name']) {
      assert.throws(() => parseTagRef(bad), (err: unknown) => {
        assert.equal(httpStatusOf(err), 400, bad)
        assert.match((err as Error).message, /^invalid tag name /, bad)
        return true
      }, bad)
    }
  })
})
