/**
 * Ring message codecs by version. `encodeMessage` writes the current version; `decodeMessage`
 * reads the version byte and dispatches, so a node can keep decoding older versions during a
 * rolling upgrade. A new version adds a module and a row here; it never edits an older one.
 */
import { RingCodecError } from '../errors.ts'
import * as v1 from './v1.ts'
import type { CodecLimits, RingMessage } from './v1.ts'

export type { CodecLimits, RingMessage, RingMessageKind } from './v1.ts'

export interface RingCodec {
  readonly version: number
  encode (msg: RingMessage, limits?: CodecLimits): Buffer
  decode (bytes: Uint8Array, limits?: CodecLimits): RingMessage
}

export const versions: Readonly<Record<number, RingCodec>> = { 1: v1 }
export const currentVersion = 1
export const defaultCodecLimits: CodecLimits = v1.defaultLimits

export function encodeMessage (msg: RingMessage, limits: CodecLimits = defaultCodecLimits, version = currentVersion): Buffer {
  const codec = versions[version]
  if (codec === undefined) throw new RingCodecError('version', `unsupported version ${version}`)
  return codec.encode(msg, limits)
}

/** Decodes any supported version; throws only `RingCodecError`. */
export function decodeMessage (bytes: Uint8Array, limits: CodecLimits = defaultCodecLimits): RingMessage {
  if (bytes.byteLength > limits.maxBytes) throw new RingCodecError('message', `${bytes.byteLength} bytes, limit ${limits.maxBytes}`)
  if (bytes.byteLength === 0) throw new RingCodecError('version', 'empty message')
  const codec = versions[bytes[0] as number]
  if (codec === undefined) throw new RingCodecError('version', `unsupported version ${bytes[0]}`)
  return codec.decode(bytes, limits)
}
