import type { BodyEncoding } from './body.ts'

/**
 * OTLP/HTTP response bodies, in the request's encoding (OTLP spec "OTLP/HTTP Response"):
 * success is an ExportTraceServiceResponse, with `partial_success` when spans were rejected;
 * failures carry a google.rpc.Status with a gRPC code and a message saying what is wrong.
 */
function varint (n: number | bigint): number[] {
  let v = BigInt(n)
  const out: number[] = []
  while (v > 0x7fn) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n }
  out.push(Number(v))
  return out
}

function lengthDelimited (field: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(bytes.length)]), bytes])
}

/** ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1; error_message = 2 } } */
export function exportResponse (encoding: BodyEncoding, rejectedSpans: number, errorMessage: string): { body: Buffer | string, contentType: string } {
  if (encoding === 'json') {
    const body = rejectedSpans > 0 || errorMessage !== '' ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } } : {}
    return { body: JSON.stringify(body), contentType: 'application/json' }
  }
  if (rejectedSpans === 0 && errorMessage === '') return { body: Buffer.alloc(0), contentType: 'application/x-protobuf' }
  const inner = Buffer.concat([Buffer.from([0x08, ...varint(rejectedSpans)]), lengthDelimited(2, Buffer.from(errorMessage))])
  return { body: lengthDelimited(1, inner), contentType: 'application/x-protobuf' }
}

/** gRPC status codes used by the receiver. */
export const GrpcCode = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNAUTHENTICATED: 16, UNAVAILABLE: 14, INTERNAL: 13, UNIMPLEMENTED: 12 } as const

export function grpcCodeForHttp (status: number): number {
  if (status === 401) return GrpcCode.UNAUTHENTICATED
  if (status === 413 || status === 429) return GrpcCode.RESOURCE_EXHAUSTED
  if (status === 415) return GrpcCode.UNIMPLEMENTED
  if (status === 503) return GrpcCode.UNAVAILABLE
  if (status >= 400 && status < 500) return GrpcCode.INVALID_ARGUMENT
  return GrpcCode.INTERNAL
}

/** google.rpc.Status { code = 1; message = 2 } */
export function statusBody (encoding: BodyEncoding, code: number, message: string): { body: Buffer | string, contentType: string } {
  if (encoding === 'json') return { body: JSON.stringify({ code, message }), contentType: 'application/json' }
  return { body: Buffer.concat([Buffer.from([0x08, ...varint(code)]), lengthDelimited(2, Buffer.from(message))]), contentType: 'application/x-protobuf' }
}
