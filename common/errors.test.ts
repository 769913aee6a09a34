import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  ConflictError, InvalidArgumentError, LimitExceededError, LiveStoreError, NotFoundError, NotReadyError, TooLargeError,
  UnauthenticatedError, UnavailableError, UnsupportedMediaTypeError, describeError, httpStatusOf,
} from './errors.ts'

/** The one error → HTTP status table, as a table. */
describe('httpStatusOf', () => {
  const cases: [LiveStoreError | Error, number][] = [
    [new InvalidArgumentError('bad'), 400],
    [new UnauthenticatedError('no org id'), 401],
    [new NotFoundError(''), 404],
    [new ConflictError('not now'), 409],
    [new TooLargeError('big'), 413],
    [new UnsupportedMediaTypeError('text/plain'), 415],
    [new LimitExceededError('slow down'), 429],
    [new NotReadyError('starting'), 503],
    [new UnavailableError('kafka down'), 503],
    [new LiveStoreError('internal'), 500],
    [new Error('plain'), 500],
  ]
  for (const [err, status] of cases) it(`${err.constructor.name} → ${status}`, () => assert.equal(httpStatusOf(err), status))

  it('keeps a subclass on its parent\'s status (subclasses inherit the code)', () => {
    class SpecificConflict extends ConflictError {}
    assert.equal(httpStatusOf(new SpecificConflict('x')), 409)
    assert.equal(new SpecificConflict('x').name, 'SpecificConflict')
  })

  it('marks not-ready and unavailable errors retriable, and describes cause chains', () => {
    assert.equal(new NotReadyError('x').retriable, true)
    assert.equal(new InvalidArgumentError('x').retriable, false)
    assert.equal(describeError(new UnavailableError('write failed', { cause: new Error('ECONNREFUSED') })), 'write failed: ECONNREFUSED')
  })
})
