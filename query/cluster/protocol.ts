/**
 * The internal query protocol, version 1: what one node asks another over the cluster's query
 * channel (the libp2p request/response protocol, so the cluster key guards it; ring/transport/
 * channels.ts tags it apart from ring sync). One request, one response; errors travel as the
 * transport's error text, never inside a response.
 *
 * Layout (big-endian; `str8` = u8 byte length + UTF-8):
 *
 *     request  = version:u8 (= 1)  op:u8 (1 = trace-by-id; 2, 3, 4 = search, tag names,
 *                tag values: search-protocol.ts)
 *                traceId:16 bytes  tenantCount:u8 (1..255)  tenant:str8*
 *                (each tenant a valid tenant id: 1..150 characters of common/tenant.ts's set)
 *     response = version:u8 (= 1)  op:u8 (= the request's op)
 *                flags:u8 (bit 0: a trace follows, bit 1: `incomplete` follows; other bits 0)
 *                [incomplete: length:u16 (1..4096) UTF-8]     when bit 1
 *                [trace: every remaining byte, OTLP TracesData protobuf]   when bit 0
 *
 * Why binary with protobuf inside: the trace is the bulk and already has a compact, shared
 * encoding (the one Kafka records and `Accept: application/protobuf` use); the envelope around it
 * is a few fixed fields, checked by bounds rather than a schema walk. Decoding is strict: an
 * unknown version, op or flag, a bad tenant id, a wrong trace id length, trailing bytes or a size
 * above the limit is a QueryProtocolError naming what is wrong.
 *
 * Frozen once released: a v2 gets new code paths selected by the version byte; v1 bytes (pinned
 * by the golden tests in protocol.test.ts) never change.
 */
import { InvalidArgumentError } from '../../common/errors.ts'
import { decodeTracesProto } from '../../common/otlp/decode-proto.ts'
import { encodeTracesProto } from '../../common/otlp/encode-proto.ts'
import type { TracesData } from '../../common/otlp/model.ts'
import { resolveTenant } from '../../common/tenant.ts'
import { QueryProtocolError } from './errors.ts'
import type { TraceAnswer } from './types.ts'

export const PROTOCOL_VERSION = 1

/** Operation codes; metrics will get their own. */
export const Op = { TraceById: 1, Search: 2, TagNames: 3, TagValues: 4 } as const
export type OpCode = typeof Op[keyof typeof Op]

/**
 * The operation of a request, after checking its version: how the handler picks the decoder.
 * An unknown operation is a QueryProtocolError.
 */
export function peekOp (bytes: Uint8Array): OpCode {
  const r = new Reader(bytes, 'request')
  if (bytes.byteLength === 0) throw new QueryProtocolError('request: empty message')
  const version = r.u8('version')
  if (version !== PROTOCOL_VERSION) throw new QueryProtocolError(`request: unsupported internal query protocol version ${version} (this node speaks ${PROTOCOL_VERSION})`)
  const op = r.u8('op')
  if (!(Object.values(Op) as number[]).includes(op)) throw new QueryProtocolError(`request: unknown internal query operation ${op}`)
  return op as OpCode
}

export interface TraceByIdRequest {
  tenants: readonly string[]
  /** 16 bytes (the public API pads shorter ids). */
  traceId: Buffer
}

export interface ProtocolLimits {
  /** Largest request accepted; a trace-by-id request is at most about 39 KB (255 tenants). */
  readonly maxRequestBytes: number
  /**
   * Largest response sent or accepted. The default matches the transports' default
   * `maxMessageBytes` (16 MiB), so anything the transport carries decodes.
   */
  readonly maxResponseBytes: number
}

export const defaultProtocolLimits: ProtocolLimits = { maxRequestBytes: 64 * 1024, maxResponseBytes: 16 * 1024 * 1024 }

const TRACE_ID_BYTES = 16
const MAX_TENANTS = 255
const MAX_INCOMPLETE_BYTES = 4096
/** `incomplete` is a human-readable reason; longer ones are cut (characters, so UTF-8 stays ≤ 3 KiB). */
const MAX_INCOMPLETE_CHARS = 1024
const FLAG_TRACE = 0b01
const FLAG_INCOMPLETE = 0b10
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function encodeTraceByIdRequest (req: TraceByIdRequest, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  if (req.traceId.length !== TRACE_ID_BYTES) throw new QueryProtocolError(`trace id must be ${TRACE_ID_BYTES} bytes, got ${req.traceId.length}`)
  if (req.tenants.length === 0) throw new QueryProtocolError('a trace-by-id request needs at least one tenant')
  // The only limit a user can reach (X-Scope-OrgID a|b|…), hence a 400.
  if (req.tenants.length > MAX_TENANTS) throw new InvalidArgumentError(`too many tenants in one query: ${req.tenants.length}, at most ${MAX_TENANTS}`)
  const tenants = req.tenants.map((t) => Buffer.from(t, 'utf8'))
  const out = Buffer.alloc(2 + TRACE_ID_BYTES + 1 + tenants.reduce((n, t) => n + 1 + t.length, 0))
  let pos = out.writeUInt8(PROTOCOL_VERSION, 0)
  pos = out.writeUInt8(Op.TraceById, pos)
  pos += req.traceId.copy(out, pos)
  pos = out.writeUInt8(tenants.length, pos)
  for (const [i, t] of tenants.entries()) {
    checkTenant(req.tenants[i] as string, `tenants[${i}]`)
    pos = out.writeUInt8(t.length, pos)
    pos += t.copy(out, pos)
  }
  if (out.length > limits.maxRequestBytes) throw new QueryProtocolError(`request of ${out.length} bytes exceeds the limit of ${limits.maxRequestBytes}`)
  return out
}

export function decodeTraceByIdRequest (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): TraceByIdRequest {
  if (bytes.byteLength > limits.maxRequestBytes) throw new QueryProtocolError(`request of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxRequestBytes}`)
  const r = new Reader(bytes, 'request')
  r.header(Op.TraceById)
  const traceId = Buffer.from(r.take(TRACE_ID_BYTES, 'trace id'))
  const count = r.u8('tenant count')
  if (count === 0) throw new QueryProtocolError('request: tenant count is 0')
  const tenants: string[] = []
  for (let i = 0; i < count; i++) tenants.push(checkTenant(r.str(r.u8(`tenants[${i}] length`), `tenants[${i}]`), `tenants[${i}]`))
  r.end()
  return { tenants, traceId }
}

export function encodeTraceByIdResponse (answer: TraceAnswer, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  const parts: Buffer[] = []
  let flags = 0
  if (answer.incomplete !== undefined) {
    const text = Buffer.from(truncate(answer.incomplete === '' ? 'incomplete' : answer.incomplete), 'utf8')
    const len = Buffer.alloc(2)
    len.writeUInt16BE(text.length)
    parts.push(len, text)
    flags |= FLAG_INCOMPLETE
  }
  if (answer.trace !== null) {
    parts.push(encodeTracesProto(answer.trace))
    flags |= FLAG_TRACE
  }
  const out = Buffer.concat([Buffer.from([PROTOCOL_VERSION, Op.TraceById, flags]), ...parts])
  if (out.length > limits.maxResponseBytes) throw new QueryProtocolError(`response of ${out.length} bytes exceeds the limit of ${limits.maxResponseBytes}`)
  return out
}

export function decodeTraceByIdResponse (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): TraceAnswer {
  if (bytes.byteLength > limits.maxResponseBytes) throw new QueryProtocolError(`response of ${bytes.byteLength} bytes exceeds the limit of ${limits.maxResponseBytes}`)
  const r = new Reader(bytes, 'response')
  r.header(Op.TraceById)
  const flags = r.u8('flags')
  if ((flags & ~(FLAG_TRACE | FLAG_INCOMPLETE)) !== 0) throw new QueryProtocolError(`response: unknown flags 0x${flags.toString(16)}`)
  const answer: TraceAnswer = { trace: null }
  if ((flags & FLAG_INCOMPLETE) !== 0) {
    const len = r.u16('incomplete length')
    if (len === 0 || len > MAX_INCOMPLETE_BYTES) throw new QueryProtocolError(`response: incomplete length ${len} is outside 1..${MAX_INCOMPLETE_BYTES}`)
    answer.incomplete = r.str(len, 'incomplete')
  }
  if ((flags & FLAG_TRACE) !== 0) answer.trace = decodeTrace(r.rest())
  r.end()
  return answer
}

function decodeTrace (bytes: Uint8Array): TracesData {
  try {
    return decodeTracesProto(bytes)
  } catch (err) {
    // An OtlpDecodeError is a 400 for a client's push; here it is a peer's bad answer.
    throw new QueryProtocolError(`response: bad trace: ${(err as Error).message}`, { cause: err })
  }
}

/** A valid tenant id, or a QueryProtocolError naming the field. */
export function checkTenant (tenant: string, field: string): string {
  try {
    return resolveTenant(tenant, true)
  } catch (err) {
    throw new QueryProtocolError(`${field}: ${(err as Error).message}`, { cause: err })
  }
}

function truncate (text: string): string {
  return text.length > MAX_INCOMPLETE_CHARS ? text.slice(0, MAX_INCOMPLETE_CHARS - 1) + '…' : text
}

/** Bounds-checked reads; every failure is a QueryProtocolError naming the message and field. */
class Reader {
  #pos = 0
  readonly #bytes: Uint8Array
  readonly #what: string

  constructor (bytes: Uint8Array, what: string) {
    this.#bytes = bytes
    this.#what = what
  }

  /** Version and op: the first two bytes of every message. */
  header (expectedOp: number): void {
    if (this.#bytes.byteLength === 0) throw new QueryProtocolError(`${this.#what}: empty message`)
    const version = this.u8('version')
    if (version !== PROTOCOL_VERSION) throw new QueryProtocolError(`${this.#what}: unsupported internal query protocol version ${version} (this node speaks ${PROTOCOL_VERSION})`)
    const op = this.u8('op')
    if (op !== expectedOp) throw new QueryProtocolError(`${this.#what}: unknown internal query operation ${op}`)
  }

  take (n: number, field: string): Uint8Array {
    const left = this.#bytes.byteLength - this.#pos
    if (left < n) throw new QueryProtocolError(`${this.#what}: ${field} truncated: need ${n} bytes at offset ${this.#pos}, have ${left}`)
    const out = this.#bytes.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return out
  }

  u8 (field: string): number { return this.take(1, field)[0] as number }

  u16 (field: string): number {
    const b = this.take(2, field)
    return ((b[0] as number) << 8) | (b[1] as number)
  }

  str (n: number, field: string): string {
    const b = this.take(n, field)
    try {
      return utf8.decode(b)
    } catch {
      throw new QueryProtocolError(`${this.#what}: ${field} is not valid UTF-8`)
    }
  }

  rest (): Uint8Array { return this.take(this.#bytes.byteLength - this.#pos, 'rest') }

  end (): void {
    const left = this.#bytes.byteLength - this.#pos
    if (left !== 0) throw new QueryProtocolError(`${this.#what}: ${left} trailing bytes`)
  }
}
