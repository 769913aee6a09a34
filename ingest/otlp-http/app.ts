import { Hono } from 'hono'
import { LiveStoreError, NotReadyError, describeError, httpStatusOf } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { decodeTracesJson, encodeTracesProto } from '../../common/otlp/index.ts'
import type { Readiness } from '../../common/readiness.ts'
import { ORG_ID_HEADER, resolveTenant } from '../../common/tenant.ts'
import type { DistributorConfig } from '../config.ts'
import type { PushResult } from '../distributor.ts'
import type { IngestMetrics } from '../metrics.ts'
import { bodyEncodingOf, decodeContent, readBody } from './body.ts'
import type { BodyEncoding } from './body.ts'
import { exportResponse, grpcCodeForHttp, statusBody } from './responses.ts'

export interface OtlpHttpDeps {
  /** Takes a protobuf ExportTraceServiceRequest (JSON bodies are converted first). */
  push: (tenant: string, request: Buffer) => Promise<PushResult>
  readiness: Readiness
  config: DistributorConfig
  multitenancy: boolean
  metrics: IngestMetrics
  logger: Logger
}

/**
 * The OTLP/HTTP trace receiver: `POST /v1/traces` with protobuf or JSON bodies, optionally
 * gzip-compressed. 200 only after Kafka acknowledged the records; 400 with what is wrong for
 * undecodable bodies; 413 above `max_request_bytes` (before or after decompression); 415 for
 * other content types; 401 without a tenant when multitenancy is on; 503 while not ready or
 * when Kafka cannot take the write (OTLP clients retry it).
 */
export function createOtlpHttpApp (deps: OtlpHttpDeps): Hono {
  const app = new Hono()
  const max = deps.config.max_request_bytes

  app.post('/v1/traces', async (c) => {
    // The error body should match what the client speaks; JSON only when it said JSON.
    let encoding: BodyEncoding = (c.req.header('content-type') ?? '').includes('json') ? 'json' : 'protobuf'
    try {
      // Writes go to Kafka, not to this node's memory: a node still replaying accepts them.
      const state = deps.readiness.state()
      if (state !== 'ready' && state !== 'catching-up') throw new NotReadyError(deps.readiness.reason())
      encoding = bodyEncodingOf(c.req.header('content-type'))
      const tenant = resolveTenant(c.req.header(ORG_ID_HEADER), deps.multitenancy)
      const raw = await readBody(c.req.raw, max)
      const body = await decodeContent(raw, c.req.header('content-encoding'), max)
      deps.metrics.bytesReceived.inc({ tenant }, body.length)
      // Protobuf goes to the distributor as it came (validated there while it is split by trace).
      const request = encoding === 'json' ? encodeTracesProto(decodeTracesJson(body)) : body
      const result = await deps.push(tenant, request)
      const res = exportResponse(encoding, result.rejectedSpans, result.errorMessage)
      deps.metrics.requests.inc({ status: '200' })
      return c.body(typeof res.body === 'string' ? res.body : new Uint8Array(res.body), 200, { 'content-type': res.contentType })
    } catch (err) {
      const status = httpStatusOf(err)
      deps.metrics.requests.inc({ status: String(status) })
      if (!(err instanceof LiveStoreError) || status >= 500) deps.logger.warn({ err, status }, 'OTLP request failed')
      const message = status === 500 ? 'internal error' : describeError(err)
      const res = statusBody(encoding, grpcCodeForHttp(status), message)
      const headers: Record<string, string> = { 'content-type': res.contentType }
      if (status === 503) headers['retry-after'] = '1'
      return c.body(typeof res.body === 'string' ? res.body : new Uint8Array(res.body), status as 400, headers)
    }
  })

  app.all('/v1/traces', (c) => c.text('method not allowed: use POST\n', 405))
  return app
}
