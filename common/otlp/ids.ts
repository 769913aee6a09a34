/**
 * Trace and span id helpers. Ids are Buffers of their exact length (model.ts); the hex form is
 * the lower-case 32/16 character string used as map keys, Kafka record keys and in URLs.
 */

/** Lower-case hex of a trace id (or any id). */
export function traceIdHex (id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')
}

/** Lower-case hex of a span id. */
export const spanIdHex = traceIdHex

/** A valid trace id has 16 bytes and at least one non-zero byte (W3C trace-context). */
export function isValidTraceId (id: Uint8Array): boolean {
  return id.length === 16 && !allZero(id)
}

/** A valid span id has 8 bytes and at least one non-zero byte. */
export function isValidSpanId (id: Uint8Array): boolean {
  return id.length === 8 && !allZero(id)
}

function allZero (id: Uint8Array): boolean {
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false
  return true
}

/**
 * Parses a hex id of exactly `bytes` bytes (case-insensitive); undefined when the string has the
 * wrong length or a non-hex character. Used for ids in URLs and OTLP/JSON.
 */
export function parseHexId (hex: string, bytes: number): Buffer | undefined {
  if (hex.length !== bytes * 2) return undefined
  const out = Buffer.from(hex, 'hex')
  // Buffer.from stops silently at the first non-hex pair, so a short result means bad input.
  return out.length === bytes ? out : undefined
}
