import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { describe, it } from 'node:test'
import { TooLargeError, UnsupportedMediaTypeError, InvalidArgumentError } from '../../common/errors.ts'
import { bodyEncodingOf, decodeContent, readBody } from './body.ts'

function requestWith (body: Uint8Array, headers: Record<string, string> = {}): Request {
  return new Request('http://x/v1/traces', { method: 'POST', body, headers })
}

describe('OTLP/HTTP body handling', () => {
  it('maps content types to encodings, refusing others', () => {
    assert.equal(bodyEncodingOf('application/x-protobuf'), 'protobuf')
    assert.equal(bodyEncodingOf('application/protobuf'), 'protobuf')
    assert.equal(bodyEncodingOf('Application/JSON; charset=utf-8'), 'json')
    assert.throws(() => bodyEncodingOf('text/plain'), UnsupportedMediaTypeError)
    assert.throws(() => bodyEncodingOf(undefined), UnsupportedMediaTypeError)
  })

  it('reads a body up to the limit and refuses one byte more', async () => {
    assert.equal((await readBody(requestWith(Buffer.alloc(100)), 100)).length, 100)
    await assert.rejects(readBody(requestWith(Buffer.alloc(101)), 100), TooLargeError)
    await assert.rejects(readBody(requestWith(Buffer.alloc(10), { 'content-length': '1000' }), 100), /1000 bytes exceeds the limit of 100/)
  })

  it('gunzips within the limit; a bomb is refused, garbage is a 400', async () => {
    const plain = Buffer.alloc(5000, 7)
    assert.deepEqual(await decodeContent(gzipSync(plain), 'gzip', 5000), plain)
    await assert.rejects(decodeContent(gzipSync(plain), 'gzip', 4999), TooLargeError)
    await assert.rejects(decodeContent(Buffer.from('nope'), 'gzip', 5000), InvalidArgumentError)
    await assert.rejects(decodeContent(plain, 'br', 5000), UnsupportedMediaTypeError)
    assert.equal(await decodeContent(plain, undefined, 1), plain, 'no encoding: passed through (size was checked while reading)')
  })
})
