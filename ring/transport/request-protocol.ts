/**
 * The request/response protocol on one libp2p stream (full-state push/pull, internal queries).
 * The protocol id carries the version (e.g. `/livestore/ring-sync/1.0.0`); on the stream:
 *
 *   requester → responder   varint length, request bytes; then the requester half-closes
 *   responder → requester   varint length, status byte, body; then the responder closes
 *
 * status 0: body is the answer; status 1: body is the handler's error text (UTF-8, ≤ 1 KiB).
 * Both sides read with `lpStream` bounded by `maxMessageBytes` (+1 for the status byte) and a
 * read buffer just above it, so an oversized frame is refused from its length prefix and never
 * buffered (measurements.md pitfall 10: lpStream has no default limit, and byteStream's buffer
 * defaults to 4 MB).
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { MessageTooLargeError } from './errors.ts'
import { errorText } from './options.ts'

const statusOk = 0
const statusError = 1

export type Answer = { ok: true, data: Uint8Array } | { ok: false, error: string }

function frames (stream: Stream, maxMessageBytes: number): ReturnType<typeof lpStream> {
  // the largest frame is a status byte plus maxMessageBytes; the buffer also holds its varint
  return lpStream(stream, { maxDataLength: maxMessageBytes + 1, maxBufferSize: maxMessageBytes + 16 })
}

/** Sends one request and reads its answer (the caller aborts the stream on failure). */
export async function sendRequest (stream: Stream, request: Uint8Array, maxMessageBytes: number, signal: AbortSignal): Promise<Answer> {
  const lp = frames(stream, maxMessageBytes)
  await lp.write(request, { signal })
  await stream.close({ signal })
  const frame = await lp.read({ signal })
  if (frame.byteLength === 0) throw new Error('empty answer frame')
  const bytes = frame.subarray()
  const body = bytes.subarray(1)
  switch (bytes[0]) {
    case statusOk: return { ok: true, data: body }
    case statusError: return { ok: false, error: new TextDecoder().decode(body) }
    default: throw new Error(`unknown answer status ${bytes[0]}`)
  }
}

/**
 * Reads one request, answers it with `handle`'s result (or its error text), and closes. A result
 * above the limit is answered with an error instead, so the requester learns why.
 */
export async function serveRequest (stream: Stream, maxMessageBytes: number, handle: (request: Uint8Array) => Promise<Uint8Array>, signal: AbortSignal): Promise<void> {
  const lp = frames(stream, maxMessageBytes)
  const frame = await lp.read({ signal })
  if (frame.byteLength > maxMessageBytes) throw new MessageTooLargeError('request', frame.byteLength, maxMessageBytes)
  let answer: Uint8Array
  try {
    const data = await handle(frame.subarray())
    answer = data.byteLength > maxMessageBytes
      ? errorFrame(new MessageTooLargeError('response', data.byteLength, maxMessageBytes).message)
      : withStatus(statusOk, data)
  } catch (err) {
    answer = errorFrame(errorText(err))
  }
  signal.throwIfAborted()
  await lp.write(answer, { signal })
  await stream.close({ signal })
}

function withStatus (status: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.byteLength)
  out[0] = status
  out.set(body, 1)
  return out
}

function errorFrame (text: string): Uint8Array {
  return withStatus(statusError, new TextEncoder().encode(text))
}
