/** `partial_success` of an OTLP ExportTraceServiceResponse: spans the server refused, and why. */
export interface PartialSuccess { rejectedSpans: number, errorMessage: string }

/**
 * Reads `partial_success` from an OTLP/HTTP success body, protobuf or JSON (by the response's
 * content type). An empty body, or one without the field, means everything was accepted; an
 * unreadable one is treated the same (the server said 200).
 */
export function readPartialSuccess (body: Buffer, contentType: string): PartialSuccess {
  const none = { rejectedSpans: 0, errorMessage: '' }
  if (body.length === 0) return none
  if (contentType.includes('json')) {
    try {
      const doc: unknown = JSON.parse(body.toString('utf8'))
      const ps = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).partialSuccess ?? (doc as Record<string, unknown>).partial_success : undefined
      if (typeof ps !== 'object' || ps === null) return none
      const p = ps as Record<string, unknown>
      const rejected = Number(p.rejectedSpans ?? p.rejected_spans ?? 0)
      return { rejectedSpans: Number.isFinite(rejected) ? rejected : 0, errorMessage: typeof (p.errorMessage ?? p.error_message) === 'string' ? String(p.errorMessage ?? p.error_message) : '' }
    } catch {
      return none
    }
  }
  const outer = fields(body)
  const inner = outer?.get(1)
  if (!Buffer.isBuffer(inner)) return none
  const f = fields(inner)
  const rejected = f?.get(1)
  const message = f?.get(2)
  return { rejectedSpans: typeof rejected === 'number' ? rejected : 0, errorMessage: Buffer.isBuffer(message) ? message.toString('utf8') : '' }
}

/** The varint and length-delimited fields of a protobuf message (last one wins); null if malformed. */
function fields (buf: Buffer): Map<number, number | Buffer> | null {
  const out = new Map<number, number | Buffer>()
  let pos = 0
  const varint = (): number => {
    let v = 0
    let mul = 1
    for (;;) {
      if (pos >= buf.length) throw new RangeError('truncated')
      const b = buf[pos++] as number
      v += (b & 0x7f) * mul
      if (b < 0x80) return v
      mul *= 128
    }
  }
  try {
    while (pos < buf.length) {
      const tag = varint()
      const field = Math.floor(tag / 8)
      switch (tag & 7) {
        case 0: out.set(field, varint()); break
        case 1: pos += 8; break
        case 2: { const len = varint(); if (pos + len > buf.length) return null; out.set(field, buf.subarray(pos, pos + len)); pos += len; break }
        case 5: pos += 4; break
        default: return null
      }
    }
  } catch {
    return null
  }
  return pos === buf.length ? out : null
}
