import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InvalidArgumentError, NotReadyError } from '../../common/errors.ts'
import type { TracesData } from '../../common/otlp/model.ts'
import type { ReadinessState } from '../../common/readiness.ts'
import { batch, makeSpan, spansOf, traceIdOf, tracesData } from '../../store/testing.ts'
import type { TraceFinder } from '../app.ts'
import { QueryProtocolError } from './errors.ts'
import { createInternalQueryHandler, createLocalTraceLookup } from './handler.ts'
import {
  decodeTraceByIdRequest, decodeTraceByIdResponse, defaultProtocolLimits, encodeTraceByIdRequest, encodeTraceByIdResponse,
} from './protocol.ts'

const ID = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex')
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const protocolError = (pattern: RegExp) => (err: unknown) => err instanceof QueryProtocolError && pattern.test(err.message)

describe('internal query protocol v1: golden bytes', () => {
  it('pins a trace-by-id request', () => {
    const bytes = encodeTraceByIdRequest({ tenants: ['a', 'single-tenant'], traceId: ID })
    assert.equal(hex(bytes), '0101' + '0102030405060708090a0b0c0d0e0f10' + '02' + '0161' + '0d' + Buffer.from('single-tenant').toString('hex'))
    assert.deepEqual(decodeTraceByIdRequest(bytes), { tenants: ['a', 'single-tenant'], traceId: ID })
  })

  it('pins the answers without a trace', () => {
    assert.equal(hex(encodeTraceByIdResponse({ trace: null })), '010100')
    assert.equal(hex(encodeTraceByIdResponse({ trace: null, incomplete: 'x' })), '010102' + '0001' + '78')
    assert.deepEqual(decodeTraceByIdResponse(Buffer.from('010100', 'hex')), { trace: null })
    assert.deepEqual(decodeTraceByIdResponse(Buffer.from('010102000178', 'hex')), { trace: null, incomplete: 'x' })
  })

  it('carries the trace as OTLP protobuf after the envelope', () => {
    const trace = tracesData(batch('svc', [makeSpan('abc', '1')]))
    const bytes = encodeTraceByIdResponse({ trace, incomplete: 'replaying' })
    assert.equal(hex(bytes.subarray(0, 5)), '0101030009')
    assert.equal(bytes.subarray(5, 14).toString(), 'replaying')
    const back = decodeTraceByIdResponse(bytes)
    assert.equal(back.incomplete, 'replaying')
    assert.deepEqual(back.trace, trace)
  })
})

describe('internal query protocol v1: round trips', () => {
  it('round-trips requests with one and many tenants', () => {
    for (const tenants of [['single-tenant'], Array.from({ length: 255 }, (_, i) => `tenant-${i}`), ['x'.repeat(150)]]) {
      const req = { tenants, traceId: traceIdOf('ff') }
      assert.deepEqual(decodeTraceByIdRequest(encodeTraceByIdRequest(req)), req)
    }
  })

  it('round-trips answers with and without a trace and a reason, an empty trace included', () => {
    const trace = tracesData(batch('svc', [makeSpan('abc', '1'), makeSpan('abc', '2')]))
    const cases: { trace: TracesData | null, incomplete?: string }[] = [
      { trace: null }, { trace }, { trace, incomplete: 'live-store is catching up: lag 12s' }, { trace: { resourceSpans: [] } }, { trace: null, incomplete: 'rätt 🚀' },
    ]
    for (const answer of cases) assert.deepEqual(decodeTraceByIdResponse(encodeTraceByIdResponse(answer)), answer)
  })

  it('cuts an overlong reason rather than failing the answer', () => {
    const back = decodeTraceByIdResponse(encodeTraceByIdResponse({ trace: null, incomplete: 'é'.repeat(5000) }))
    assert.equal(back.incomplete?.length, 1024)
    assert.ok(back.incomplete?.endsWith('…'), 'ends with an ellipsis')
  })
})

describe('internal query protocol v1: bad input', () => {
  const request = encodeTraceByIdRequest({ tenants: ['t'], traceId: ID })
  const badRequests: [string, Uint8Array, RegExp][] = [
    ['an empty message', new Uint8Array(), /request: empty message/],
    ['garbage', Buffer.from('GET / HTTP/1.1\r\n'), /unsupported internal query protocol version 71 \(this node speaks 1\)/],
    ['an unknown version', Buffer.from([2, 1]), /unsupported internal query protocol version 2/],
    ['an unknown operation', Buffer.from([1, 9]), /unknown internal query operation 9/],
    ['a truncated trace id', request.subarray(0, 10), /trace id truncated: need 16 bytes at offset 2, have 8/],
    ['no tenant', Buffer.concat([request.subarray(0, 18), Buffer.from([0])]), /tenant count is 0/],
    ['a truncated tenant', request.subarray(0, request.length - 1), /tenants\[0\] truncated/],
    ['trailing bytes', Buffer.concat([request, Buffer.from([0])]), /1 trailing bytes/],
    ['an invalid tenant id', Buffer.concat([request.subarray(0, 19), Buffer.from([3]), Buffer.from('a/b')]), /tenants\[0\]: tenant ID 'a\/b' contains unsupported character '\/'/],
    ['invalid UTF-8', Buffer.concat([request.subarray(0, 19), Buffer.from([1, 0xff])]), /tenants\[0\] is not valid UTF-8/],
  ]
  for (const [what, bytes, pattern] of badRequests) {
    it(`refuses a request with ${what}`, () => {
      assert.throws(() => decodeTraceByIdRequest(bytes), protocolError(pattern))
    })
  }

  it('refuses requests and responses above the size limit before parsing them', () => {
    const limits = { maxRequestBytes: 20, maxResponseBytes: 10 }
    assert.throws(() => decodeTraceByIdRequest(Buffer.alloc(21), limits), protocolError(/request of 21 bytes exceeds the limit of 20/))
    assert.throws(() => decodeTraceByIdResponse(Buffer.alloc(11, 1), limits), protocolError(/response of 11 bytes exceeds the limit of 10/))
    assert.throws(() => encodeTraceByIdRequest({ tenants: ['abcd'], traceId: ID }, limits), protocolError(/request of 24 bytes exceeds the limit of 20/))
    const big = tracesData(batch('svc', [makeSpan('abc', '1')]))
    assert.throws(() => encodeTraceByIdResponse({ trace: big }, limits), protocolError(/response of \d+ bytes exceeds the limit of 10/))
    assert.equal(defaultProtocolLimits.maxResponseBytes, 16 * 1024 * 1024)
  })

  const badResponses: [string, Uint8Array, RegExp][] = [
    ['an empty message', new Uint8Array(), /response: empty message/],
    ['an unknown version', Buffer.from([9, 1, 0]), /unsupported internal query protocol version 9/],
    ['an unknown operation', Buffer.from([1, 7, 0]), /unknown internal query operation 7/],
    ['unknown flags', Buffer.from([1, 1, 4]), /unknown flags 0x4/],
    ['an empty reason', Buffer.from([1, 1, 2, 0, 0]), /incomplete length 0 is outside 1..4096/],
    ['a truncated reason', Buffer.from([1, 1, 2, 0, 5, 0x61]), /incomplete truncated/],
    ['trailing bytes without a trace', Buffer.from([1, 1, 0, 0]), /1 trailing bytes/],
    ['a trace that is not protobuf', Buffer.from([1, 1, 1, 0xff, 0xff]), /response: bad trace: /],
  ]
  for (const [what, bytes, pattern] of badResponses) {
    it(`refuses a response with ${what}`, () => {
      assert.throws(() => decodeTraceByIdResponse(bytes), protocolError(pattern))
    })
  }

  it('refuses to encode what it would refuse to decode', () => {
    assert.throws(() => encodeTraceByIdRequest({ tenants: ['t'], traceId: Buffer.alloc(8) }), protocolError(/trace id must be 16 bytes, got 8/))
    assert.throws(() => encodeTraceByIdRequest({ tenants: [], traceId: ID }), protocolError(/at least one tenant/))
    assert.throws(() => encodeTraceByIdRequest({ tenants: ['a b'], traceId: ID }), protocolError(/tenants\[0\]: tenant ID 'a b'/))
    assert.throws(() => encodeTraceByIdRequest({ tenants: Array.from({ length: 256 }, (_, i) => `t${i}`), traceId: ID }),
      (err: unknown) => err instanceof InvalidArgumentError && /too many tenants in one query: 256, at most 255/.test(err.message))
  })
})

function fakeReadiness (state: ReadinessState, reason = '') {
  return { state: () => state, reason: () => reason }
}

const store: TraceFinder = {
  findTraceById: (tenant, traceId) => tenant === 'nobody' ? null : tracesData(batch(tenant, [makeSpan(traceId.toString('hex'), tenant === 'a' ? '1' : '2')])),
}

describe('internal query handler', () => {
  const req = encodeTraceByIdRequest({ tenants: ['a', 'b', 'nobody'], traceId: traceIdOf('abc') })

  it('answers with every tenant\'s trace merged', async () => {
    const handle = createInternalQueryHandler({ finder: store, readiness: fakeReadiness('ready') })
    const answer = decodeTraceByIdResponse(await handle('peer', req))
    assert.deepEqual(spansOf(answer.trace).map((s) => s.name), ['span-1', 'span-2'])
    assert.equal(answer.incomplete, undefined)
  })

  it('answers with what it has, marked incomplete, while catching up', async () => {
    const handle = createInternalQueryHandler({ finder: store, readiness: fakeReadiness('catching-up', 'live-store is catching up: lag 12s') })
    const answer = decodeTraceByIdResponse(await handle('peer', req))
    assert.equal(answer.incomplete, 'live-store is catching up: lag 12s')
    assert.equal(spansOf(answer.trace).length, 2)
  })

  it('refuses while starting or stopping, with the readiness reason', async () => {
    for (const [state, reason, message] of [['starting', 'live-store is starting', 'live-store is starting'], ['stopping', '', 'live-store is stopping']] as const) {
      const handle = createInternalQueryHandler({ finder: store, readiness: fakeReadiness(state, reason) })
      await assert.rejects(handle('peer', req), (err: unknown) => err instanceof NotReadyError && err.message === message)
    }
  })

  it('refuses garbage with a protocol error', async () => {
    const handle = createInternalQueryHandler({ finder: store, readiness: fakeReadiness('ready') })
    await assert.rejects(handle('peer', Buffer.from('hello')), protocolError(/unsupported internal query protocol version 104/))
  })

  it('the local lookup answers null when no tenant has the trace, and honours an aborted signal', async () => {
    const lookup = createLocalTraceLookup({ finder: store, readiness: fakeReadiness('ready') })
    assert.deepEqual(await lookup(['nobody'], traceIdOf('abc')), { trace: null })
    const ac = new AbortController()
    ac.abort(new Error('gone'))
    await assert.rejects(lookup(['a'], traceIdOf('abc'), ac.signal), /gone/)
  })
})
