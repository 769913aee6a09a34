/**
 * Request and response headers.
 *
 *   Request Header v1 => api_key int16 | api_version int16 | correlation_id int32 | client_id NULLABLE_STRING
 *   Request Header v2 => (v1 fields) | TAG_BUFFER            (flexible requests, e.g. ApiVersions v3+)
 *   Response Header v0 => correlation_id int32
 *
 * We only implement non-flexible versions, but a client may open with ApiVersions v3+ (header v2).
 * Its first four fields are laid out exactly as in v1, which is all KIP-511's fallback needs: we
 * answer with a v0 ApiVersions body carrying UNSUPPORTED_VERSION and our ranges, and never parse
 * the tagged fields or the flexible body (`bodyOffset` then points at the tagged fields).
 */
import { Reader } from './reader.ts'
import type { Writer } from './writer.ts'

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

/** Decodes the header of a request frame (without its 4-byte size prefix). */
export function decodeRequestHeader (frame: Buffer): { header: RequestHeader, bodyOffset: number } {
  const r = new Reader(frame)
  const header = {
    apiKey: r.int16('api_key'),
    apiVersion: r.int16('api_version'),
    correlationId: r.int32('correlation_id'),
    clientId: r.nullableString('client_id'),
  }
  return { header, bodyOffset: r.offset }
}

/**
 * The correlation id of a frame whose header is otherwise undecodable (e.g. a truncated
 * client_id), so the server can still answer; null when the frame is shorter than 8 bytes.
 */
export function peekCorrelationId (frame: Buffer): number | null {
  return frame.length >= 8 ? frame.readInt32BE(4) : null
}

export function encodeRequestHeader (w: Writer, h: RequestHeader): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).nullableString(h.clientId)
}

/** Response header v0: just the correlation id. */
export function encodeResponseHeader (correlationId: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeInt32BE(correlationId, 0)
  return b
}
