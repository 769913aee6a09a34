import { decodeTracesJson, encodeTracesProto, splitRequestByTrace } from '../common/otlp/index.ts'
import type { SplitTrace } from '../common/otlp/index.ts'

/**
 * The Kafka record format (DESIGN.md "Record format on Kafka"), version 1:
 *
 *   key     the 16-byte trace id (records of the built-in distributor hold exactly one trace)
 *   value   an OTLP ExportTraceServiceRequest, protobuf, exactly as the OpenTelemetry
 *           Collector's Kafka exporter writes it (`otlp_proto`); or OTLP/JSON (`otlp_json`)
 *   headers X-Scope-OrgID: tenant (absent → `single-tenant`)
 *           content-type: application/x-protobuf | application/json (optional)
 *
 * Collector records carry no content-type, so the encoding is sniffed when the header is absent:
 * a protobuf ExportTraceServiceRequest starts with field 1 (0x0a) or is empty, never with `{`.
 */
export const TENANT_HEADER = 'X-Scope-OrgID'
export const DEFAULT_TENANT = 'single-tenant'
export const CONTENT_TYPE_HEADER = 'content-type'
export const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf'

export interface KafkaRecordOut { key: Buffer, value: Buffer, headers: Record<string, string> }

/** The record of one trace: `request` is that trace's ExportTraceServiceRequest, protobuf. */
export function encodeRecord (tenant: string, traceId: Buffer, request: Buffer): KafkaRecordOut {
  return { key: traceId, value: request, headers: { [TENANT_HEADER]: tenant, [CONTENT_TYPE_HEADER]: PROTOBUF_CONTENT_TYPE } }
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined

function headerText (headers: Record<string, HeaderValue> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined
  const lower = name.toLowerCase()
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== lower || v === undefined) continue
    const first = Array.isArray(v) ? v[0] : v
    return first === undefined ? undefined : first.toString()
  }
  return undefined
}

export type DecodedRecord = { tenant: string, traces: SplitTrace[] } | { tenant: string, error: 'decoding_failed', message: string }

/**
 * Validates one consumed record (ours or a collector's) and splits it by trace, without decoding
 * protobuf into objects (JSON is converted to protobuf first); never throws.
 */
export function decodeRecord (value: Buffer | null, headers: Record<string, HeaderValue> | undefined): DecodedRecord {
  const tenant = headerText(headers, TENANT_HEADER) ?? DEFAULT_TENANT
  if (value === null) return { tenant, error: 'decoding_failed', message: 'record has no value' }
  const contentType = headerText(headers, CONTENT_TYPE_HEADER)
  const json = contentType !== undefined ? contentType.includes('json') : firstNonSpace(value) === 0x7b
  try {
    const request = json ? encodeTracesProto(decodeTracesJson(value)) : value
    return { tenant, traces: splitRequestByTrace(request).traces }
  } catch (err) {
    return { tenant, error: 'decoding_failed', message: (err as Error).message }
  }
}

function firstNonSpace (b: Buffer): number | undefined {
  for (const c of b) if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c
  return undefined
}
