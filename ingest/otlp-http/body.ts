import { gunzip } from 'node:zlib'
import { InvalidArgumentError, TooLargeError, UnsupportedMediaTypeError } from '../../common/errors.ts'

export type BodyEncoding = 'protobuf' | 'json'

/** The body format from Content-Type (OTLP/HTTP: protobuf or JSON), else 415. */
export function bodyEncodingOf (contentType: string | undefined): BodyEncoding {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase()
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf'
  if (type === 'application/json') return 'json'
  throw new UnsupportedMediaTypeError(`unsupported content type ${JSON.stringify(contentType ?? '')}: use application/x-protobuf or application/json`)
}

/**
 * Reads a request body of at most `max` bytes. The declared Content-Length is checked first and
 * the stream is counted as it arrives, so an oversized body is refused without buffering it.
 */
export async function readBody (req: Request, max: number): Promise<Buffer> {
  const declared = Number(req.headers.get('content-length') ?? NaN)
  if (declared > max) throw new TooLargeError(`request body of ${declared} bytes exceeds the limit of ${max} bytes`)
  if (req.body === null) return Buffer.alloc(0)
  const chunks: Buffer[] = []
  let size = 0
  const reader = req.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => undefined)
      throw new TooLargeError(`request body exceeds the limit of ${max} bytes`)
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
  }
  return chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)
}

/**
 * Undoes Content-Encoding. gzip output is capped at `max` bytes, so a small "gzip bomb" is
 * refused with 413 after producing at most `max` bytes, never exhausting memory.
 */
export async function decodeContent (body: Buffer, contentEncoding: string | undefined, max: number): Promise<Buffer> {
  const enc = (contentEncoding ?? '').trim().toLowerCase()
  if (enc === '' || enc === 'identity') return body
  if (enc !== 'gzip') throw new UnsupportedMediaTypeError(`unsupported content encoding ${JSON.stringify(contentEncoding)}: use gzip or none`)
  return await new Promise<Buffer>((resolve, reject) => {
    gunzip(body, { maxOutputLength: max }, (err, out) => {
      if (err === null) { resolve(out); return }
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(new TooLargeError(`decompressed request body exceeds the limit of ${max} bytes`))
      else reject(new InvalidArgumentError(`invalid gzip body: ${err.message}`))
    })
  })
}
