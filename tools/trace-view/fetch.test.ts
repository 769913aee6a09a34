import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { encodeTracesJson } from '../../common/otlp/index.ts'
import { generateTraces } from '../loadgen/trace-generator.ts'
import { fetchTrace } from './fetch.ts'
import { readTempoTrace } from './tempo-json.ts'
import { renderWaterfall } from './waterfall.ts'

const TRACE = generateTraces({ seed: 11, traces: 1, now: 1_763_000_000_000, errorRate: 0.2 })
const TEMPO_BODY = `{"trace":${encodeTracesJson(TRACE, { dialect: 'tempo' })}}`

describe('readTempoTrace', () => {
  it('reads what Tempo renders (base64 ids, string int64s, enum names) back to the model', () => {
    assert.match(TEMPO_BODY, /"kind":"SPAN_KIND_SERVER"/)
    assert.deepStrictEqual(readTempoTrace(JSON.parse(TEMPO_BODY)), TRACE)
  })

  it('accepts the v1 shape, hex ids and numeric enums; null when there is no trace', () => {
    const doc = {
      batches: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        instrumentationLibrarySpans: [{
          instrumentationLibrary: { name: 'lib' },
          spans: [{ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708', name: 'op', kind: 2, startTimeUnixNano: 5, endTimeUnixNano: '9', status: { code: 2 }, attributes: [{ key: 'n', value: { intValue: '7' } }, { key: 'a', value: { arrayValue: { values: [{ boolValue: true }] } } }] }],
        }],
      }],
    }
    const t = readTempoTrace(doc)
    const s = t?.resourceSpans[0]?.scopeSpans[0]?.spans[0]
    assert.equal(t?.resourceSpans[0]?.scopeSpans[0]?.scope?.name, 'lib')
    assert.equal(s?.traceId.toString('hex'), '0102030405060708090a0b0c0d0e0f10')
    assert.deepStrictEqual([s?.kind, s?.status.code, s?.startTimeUnixNano, s?.endTimeUnixNano], [2, 2, 5n, 9n])
    assert.deepStrictEqual(s?.attributes.map((a) => a.value), [{ kind: 'int', value: 7n }, { kind: 'array', value: [{ kind: 'bool', value: true }] }])
    assert.equal(readTempoTrace({ trace: {} }), null)
    assert.equal(readTempoTrace({}), null)
  })
})

describe('fetchTrace', () => {
  let headers: IncomingHttpHeaders = {}
  let path = ''
  const server = createServer((req, res) => {
    headers = req.headers
    path = req.url ?? ''
    const id = path.split('/').pop()
    if (id === 'aa') res.writeHead(200, { 'content-type': 'application/json' }).end('{"trace":{}}')
    else if (id === 'bb') res.writeHead(404).end('trace not found')
    else if (id === 'cc') res.writeHead(500).end('internal error\n')
    else res.writeHead(200, { 'content-type': 'application/json' }).end(TEMPO_BODY)
  })
  let base = ''
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('GETs /api/v2/traces/{id} with the tenant and returns the model', async () => {
    const id = TRACE.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId.toString('hex')
    const t = await fetchTrace(base, id.toUpperCase(), { tenant: 'acme' })
    assert.equal(path, `/api/v2/traces/${id}`)
    assert.equal(headers['x-scope-orgid'], 'acme')
    assert.deepStrictEqual(t, TRACE)
    assert.match(renderWaterfall(t), new RegExp(`^trace ${id} `))
  })

  it('returns null for an empty trace or 404, throws on other errors and bad ids', async () => {
    assert.equal(await fetchTrace(base, 'aa'), null)
    assert.equal(headers['x-scope-orgid'], undefined)
    assert.equal(await fetchTrace(base, 'bb'), null)
    await assert.rejects(fetchTrace(base, 'cc'), /HTTP 500: internal error/)
    await assert.rejects(fetchTrace(base, 'not-hex'), /invalid trace id/)
  })
})
