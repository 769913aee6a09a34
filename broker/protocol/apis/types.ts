/**
 * The shape every API module exports: one codec per API, covering every version in the
 * README's supported range, for both sides of the wire (the broker uses decodeRequest /
 * encodeResponse; tests, the fuzzer and the benchmark use the client half).
 *
 * Conventions for the plain objects:
 * - camelCase names after Kafka's JSON message definitions, with topic lists always `topics`,
 *   topic names `name`, partition ids `partitionIndex`;
 * - int64 fields are bigint, record sets raw Buffers;
 * - request fields absent from a version are still present after decoding, set to Kafka's
 *   default for them (e.g. Fetch v4's `sessionEpoch` is -1), so handlers need no version checks;
 * - response fields that only some versions carry are optional: the encoder writes the default
 *   when they are missing, and the decoder sets exactly the fields the version has.
 */
import { ProtocolDecodeError } from '../errors.ts'
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export interface ApiCodec<Req, Res> {
  readonly apiKey: number
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  decodeRequest (version: number, r: Reader): Req
  encodeResponse (version: number, res: Res, w: Writer): void
  encodeRequest (version: number, req: Req, w: Writer): void
  decodeResponse (version: number, r: Reader): Res
}

/** Wraps a codec so that every entry point rejects versions outside its range. */
export function defineApi<Req, Res> (c: ApiCodec<Req, Res>): ApiCodec<Req, Res> {
  const check = (version: number, decoding: boolean): void => {
    if (Number.isInteger(version) && version >= c.minVersion && version <= c.maxVersion) return
    const msg = `${c.name} v${version} is outside the supported range ${c.minVersion}-${c.maxVersion}`
    if (decoding) throw new ProtocolDecodeError('api_version', msg)
    throw new RangeError(msg)
  }
  return {
    apiKey: c.apiKey,
    name: c.name,
    minVersion: c.minVersion,
    maxVersion: c.maxVersion,
    decodeRequest: (v, r) => { check(v, true); return c.decodeRequest(v, r) },
    encodeResponse: (v, res, w) => { check(v, false); c.encodeResponse(v, res, w) },
    encodeRequest: (v, req, w) => { check(v, false); c.encodeRequest(v, req, w) },
    decodeResponse: (v, r) => { check(v, true); return c.decodeResponse(v, r) },
  }
}
