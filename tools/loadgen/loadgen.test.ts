import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { countSpans, decodeTracesJson, decodeTracesProto } from '../../common/otlp/index.ts'
import { runLoadGen } from './loadgen.ts'
import type { LoadGenProgress } from './loadgen.ts'
import { generateTraces } from './trace-generator.ts'

/** ExportTraceServiceResponse { partial_success { rejected_spans: 2, error_message: "too old" } } */
const PARTIAL = Buffer.from([0x0a, 0x0b, 0x08, 0x02, 0x12, 0x07, ...Buffer.from('too old')])

interface Received { body: Buffer, headers: IncomingMessage['headers'] }

/** A tiny OTLP/HTTP stand-in: records requests, answers as `respond` says. */
class FakeReceiver {
  requests = 0
  bytes = 0
  ok = 0
  partial = 0
  unavailable = 0
  received: Received[] = []
  respond: (n: number, res: ServerResponse) => void = (_n, res) => { this.ok++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end() }
  readonly server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      this.bytes += body.length
      this.received.push({ body, headers: req.headers })
      this.respond(this.requests++, res)
    })
  })

  url = ''
  async start (): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  reset (respond?: (n: number, res: ServerResponse) => void): void {
    Object.assign(this, { requests: 0, bytes: 0, ok: 0, partial: 0, unavailable: 0, received: [] })
    if (respond !== undefined) this.respond = respond
  }

  /** 200, 200 with partial_success (2 spans rejected), 503: in turns. */
  rotating (): (n: number, res: ServerResponse) => void {
    return (n, res) => {
      if (n % 3 === 0) { this.ok++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end() }
      else if (n % 3 === 1) { this.partial++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(PARTIAL) }
      else { this.unavailable++; res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":14,"message":"not ready"}') }
    }
  }
}

describe('load generator', () => {
  const rx = new FakeReceiver()
  before(() => rx.start())
  after(() => new Promise<void>((resolve) => rx.server.close(() => resolve())))

  it('counts 200s, partial successes and retried 503s exactly', async () => {
    rx.reset(rx.rotating())
    const s = await runLoadGen({ url: rx.url, traces: 40, batchSpans: 30, concurrency: 3, seed: 5, retryBackoffMs: 1, maxBackoffMs: 5 })
    const total = countSpans(generateTraces({ seed: 5, traces: 40, now: 0 }))
    assert.equal(s.spansSent, total)
    assert.equal(s.tracesSent, 40)
    assert.equal(s.batches, Math.ceil(total / 30))
    assert.equal(s.requests, rx.requests)
    assert.equal(s.bytesSent, rx.bytes)
    assert.ok(rx.unavailable > 0 && rx.partial > 0)
    assert.deepStrictEqual(s.errorsByStatus, { 503: rx.unavailable })
    assert.equal(s.retries, rx.unavailable)
    assert.equal(s.spansRejected, 2 * rx.partial)
    assert.equal(s.spansAccepted + s.spansRejected, s.spansSent)
    assert.equal(s.spansFailed, 0)
    assert.deepStrictEqual(s.rejectMessages.slice(0, 1), ['too old'])
    assert.ok(s.sampleTraceIds.length > 0 && s.sampleTraceIds.length <= 5 && s.sampleTraceIds.every((id) => /^[0-9a-f]{32}$/.test(id)))
    assert.ok(s.latencyMs.p50 <= s.latencyMs.p99 && s.latencyMs.p99 <= s.latencyMs.max)
  })

  it('reports the spans of every wholly accepted request to onAccepted, and only counts partial successes', async () => {
    rx.reset(rx.rotating())
    const accepted: string[][] = []
    const s = await runLoadGen({
      url: rx.url, traces: 40, batchSpans: 30, concurrency: 3, seed: 9, retryBackoffMs: 1, maxBackoffMs: 5,
      onAccepted: (spans) => accepted.push(spans.map((x) => `${x.traceId.toString('hex')} ${x.spanId.toString('hex')}`)),
    })
    // The receiver answers request n with a plain 200 when n % 3 === 0: exactly those are reported.
    const plain = rx.received.filter((_r, n) => n % 3 === 0).map((r) => {
      const data = decodeTracesProto(r.body)
      return data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((x) => `${x.traceId.toString('hex')} ${x.spanId.toString('hex')}`)))
    })
    assert.ok(rx.ok > 0 && rx.partial > 0)
    assert.equal(accepted.length, rx.ok)
    assert.equal(s.partialBatches, rx.partial)
    assert.deepStrictEqual(accepted.flat().sort(), plain.flat().sort())
    assert.equal(new Set(accepted.flat()).size, accepted.flat().length, 'each acknowledged span once')
    assert.ok(accepted.every((spans) => spans.length > 0 && spans.length <= 30))
  })

  it('gives up on a batch after maxRetries and counts it failed', async () => {
    rx.reset((_n, res) => { rx.unavailable++; res.writeHead(503, { 'retry-after': '1' }).end() })
    const s = await runLoadGen({ url: rx.url, traces: 3, batchSpans: 1000, concurrency: 1, maxRetries: 2, maxBackoffMs: 2 })
    assert.equal(s.batches, 1)
    assert.equal(s.requests, 3)
    assert.equal(s.retries, 2)
    assert.equal(s.spansFailed, s.spansSent)
    assert.equal(s.spansAccepted, 0)
    assert.equal(s.partialBatches, 0)
    assert.deepStrictEqual(s.sampleTraceIds, [])
  })

  it('paces to the target span rate', async () => {
    rx.reset((_n, res) => res.writeHead(200).end())
    const progress: LoadGenProgress[] = []
    const rate = 2000
    const s = await runLoadGen({ url: rx.url, rate, duration: 800, batchSpans: 50, concurrency: 4, onProgress: (p) => progress.push(p) })
    const target = rate * 0.8
    // Wide bounds: pacing must not overshoot (one burst of slack), and a loaded machine still
    // manages 40 tiny requests a second.
    assert.ok(s.spansSent <= target + 50 * 2, `sent ${s.spansSent}, target ${target}`)
    assert.ok(s.spansSent >= target * 0.5, `sent ${s.spansSent}, target ${target}`)
    assert.ok(s.spansPerSecond <= rate * 1.3 && s.spansPerSecond >= rate * 0.4, `rate ${s.spansPerSecond}`)
    assert.equal(s.spansSent % 50, 0)
    assert.equal(progress.length, s.requests)
    assert.equal(progress.at(-1)?.spansSent, s.spansSent)
    assert.ok(progress.every((p) => p.targetRate === rate && p.fraction >= 0 && p.fraction <= 1))
  })

  it('sends valid OTLP protobuf and gzip-compressed OTLP/JSON with the tenant header', async () => {
    for (const encoding of ['protobuf', 'json'] as const) {
      rx.reset((_n, res) => res.writeHead(200).end())
      const s = await runLoadGen({ url: rx.url + '/', traces: 12, batchSpans: 64, encoding, gzip: encoding === 'json', tenant: 'acme' })
      let spans = 0
      for (const r of rx.received) {
        assert.equal(r.headers['x-scope-orgid'], 'acme')
        assert.equal(r.headers['content-type'], encoding === 'json' ? 'application/json' : 'application/x-protobuf')
        const body = encoding === 'json' ? gunzipSync(r.body) : r.body
        assert.equal(r.headers['content-encoding'], encoding === 'json' ? 'gzip' : undefined)
        if (encoding === 'json') assert.match(body.toString('utf8'), /"traceId":"[0-9a-f]{32}"/)
        spans += countSpans(encoding === 'json' ? decodeTracesJson(body.toString('utf8')) : decodeTracesProto(body))
      }
      assert.equal(spans, s.spansSent)
      assert.equal(s.spansAccepted, s.spansSent)
    }
  })

  it('stops early when aborted', async () => {
    rx.reset((_n, res) => res.writeHead(200).end())
    const ac = new AbortController()
    const s = await runLoadGen({ url: rx.url, rate: 100, duration: 60_000, batchSpans: 10, signal: ac.signal, onProgress: () => ac.abort() })
    assert.ok(s.requests >= 1 && s.requests <= 4, `requests ${s.requests}`)
    assert.ok(s.elapsedMs < 30_000)
  })

  it('refuses a run without an end', async () => {
    await assert.rejects(runLoadGen({ url: rx.url }), /duration or a number of traces/)
  })
})
