import { OtlpDecodeError } from './errors.ts'

/**
 * Minimal protobuf wire-format reader: just what a hand-written decoder needs, with every read
 * bounds-checked against the end of the enclosing message (`end`), so malformed input raises an
 * `OtlpDecodeError` (what + byte offset) instead of a RangeError, a silent misread or a huge
 * allocation (a length is checked against the bytes actually left before anything is allocated).
 *
 * It is a class with mutable `pos` rather than functions returning tuples: the decoder extends it
 * and the hot methods are monomorphic and allocation-free, which is most of the speed.
 */

/** Protobuf wire types. */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const

/** Nesting limit for groups and recursive messages (AnyValue), so hostile input cannot blow the stack. */
export const MAX_DEPTH = 100

// Scratch space to turn two 32-bit halves into one bigint with a single allocation (BigInt(hi) <<
// 32n | BigInt(lo) costs three). Shared: JavaScript is single-threaded and nothing awaits in between.
const scratch = new ArrayBuffer(8)
const scratchU32 = new Uint32Array(scratch)
const scratchU64 = new BigUint64Array(scratch)
const scratchI64 = new BigInt64Array(scratch)
// Little-endian machines only (x86, arm64): the halves land where the 64-bit views expect them.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0)

// Short ASCII strings seen recently, by hash of their bytes (direct-mapped; a collision just
// replaces the entry). Bounded: at most STRING_CACHE_SIZE strings of <= MAX_CACHED_STRING bytes.
const STRING_CACHE_SIZE = 4096
const MAX_CACHED_STRING = 40
const stringCache: (string | undefined)[] = new Array<string | undefined>(STRING_CACHE_SIZE).fill(undefined)

declare module 'node:buffer' {
  interface Buffer {
    /** Node's internal fast path behind toString('utf8', s, e), without the argument checks. */
    utf8Slice (start: number, end: number): string
  }
}

export class ProtoReader {
  buf: Buffer
  pos: number
  /** High 32 bits of the last varint read by `varint()`. */
  hi: number

  constructor (bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = 0
    this.hi = 0
    if (!LITTLE_ENDIAN) throw new Error('big-endian platforms are not supported')
  }

  fail (reason: string, offset: number = this.pos): OtlpDecodeError {
    return new OtlpDecodeError(reason, offset)
  }

  /**
   * Reads a varint of up to 10 bytes; returns the low 32 bits (unsigned) and leaves the high 32
   * bits in `this.hi`. Wider than 64 bits, or running past `end`, is an error.
   */
  varint (end: number): number {
    const buf = this.buf
    let pos = this.pos
    if (pos >= end) throw this.fail('truncated varint')
    let b = buf[pos++]!
    if (b < 0x80) { this.pos = pos; this.hi = 0; return b }
    let lo = b & 0x7f
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= end) throw this.fail('truncated varint', pos)
      b = buf[pos++]!
      lo |= (b & 0x7f) << shift
      if (b < 0x80) { this.pos = pos; this.hi = 0; return lo >>> 0 }
    }
    // Byte 5 carries bits 28..34: four for `lo`, three for `hi`.
    if (pos >= end) throw this.fail('truncated varint', pos)
    b = buf[pos++]!
    lo |= (b & 0x0f) << 28
    let hi = (b & 0x7f) >> 4
    if (b < 0x80) { this.pos = pos; this.hi = hi; return lo >>> 0 }
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) throw this.fail('truncated varint', pos)
      b = buf[pos++]!
      if (shift === 31 && b > 1) throw this.fail('varint longer than 10 bytes or wider than 64 bits', pos - 1)
      hi |= (b & 0x7f) << shift
      if (b < 0x80) { this.pos = pos; this.hi = hi >>> 0; return lo >>> 0 }
    }
    throw this.fail('varint longer than 10 bytes', pos)
  }

  /** A field tag (field number << 3 | wire type); field number 0 is invalid. */
  tag (end: number): number {
    const start = this.pos
    const t = this.varint(end)
    if (this.hi !== 0 || t < 8) throw this.fail(this.hi !== 0 ? 'field tag too large' : 'invalid field number 0', start)
    return t
  }

  /** uint32 fields (counts): the low 32 bits, as protobuf truncates wider values. */
  uint32 (end: number): number {
    return this.varint(end)
  }

  /** int32 and enum fields: negative values arrive sign-extended to 10 bytes. */
  int32 (end: number): number {
    return this.varint(end) | 0
  }

  bool (end: number): boolean {
    return (this.varint(end) | this.hi) !== 0
  }

  /** int64 as bigint, exact. */
  int64 (end: number): bigint {
    const lo = this.varint(end)
    if (this.hi === 0 && lo < 0x80000000) return BigInt(lo)
    scratchU32[0] = lo
    scratchU32[1] = this.hi
    return scratchI64[0]!
  }

  /** uint64 varint as bigint, exact. */
  uint64 (end: number): bigint {
    const lo = this.varint(end)
    if (this.hi === 0) return BigInt(lo)
    scratchU32[0] = lo
    scratchU32[1] = this.hi
    return scratchU64[0]!
  }

  fixed32 (end: number): number {
    const p = this.pos
    if (end - p < 4) throw this.fail('truncated fixed32 field')
    const buf = this.buf
    this.pos = p + 4
    return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0
  }

  /** fixed64 (timestamps) as an unsigned bigint, exact. */
  fixed64 (end: number): bigint {
    const p = this.pos
    if (end - p < 8) throw this.fail('truncated fixed64 field')
    const buf = this.buf
    this.pos = p + 8
    scratchU32[0] = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)
    scratchU32[1] = buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24)
    return scratchU64[0]!
  }

  double (end: number): number {
    const p = this.pos
    if (end - p < 8) throw this.fail('truncated double field')
    this.pos = p + 8
    return this.buf.readDoubleLE(p)
  }

  /** Reads a length prefix and returns the end offset of the field's bytes (checked against `end`). */
  len (end: number): number {
    const start = this.pos
    const n = this.varint(end)
    if (this.hi !== 0 || n > end - this.pos) {
      throw this.fail(`truncated length-delimited field (length ${this.hi !== 0 ? 'over 4 GiB' : n}, ${end - this.pos} bytes left)`, start)
    }
    return this.pos + n
  }

  /**
   * A length-delimited field's bytes, copied (never a view into the input). Small copies come from
   * Node's shared 8 KiB allocation pool (Buffer.allocUnsafe), so a kept id pins at most a pool
   * slab shared with other small buffers, never the request body.
   */
  bytes (end: number): Buffer {
    const e = this.len(end)
    const s = this.pos
    this.pos = e
    const n = e - s
    if (n === 0) return EMPTY_BUFFER
    const out = Buffer.allocUnsafe(n)
    const buf = this.buf
    if (n <= 32) {
      // Ids are 8 or 16 bytes: a plain loop beats Buffer#copy's argument handling.
      for (let i = 0; i < n; i++) out[i] = buf[s + i]!
    } else {
      buf.copy(out, 0, s, e)
    }
    return out
  }

  /**
   * A string field. Invalid UTF-8 becomes U+FFFD (as Buffer#toString does) rather than an error.
   * Short ASCII strings go through `stringCache`: attribute keys and most values repeat across
   * spans and requests, and a cache hit costs a hash and a compare instead of an allocation
   * (this halves the time spent on strings, the biggest cost of decoding).
   */
  string (end: number): string {
    const e = this.len(end)
    const s = this.pos
    this.pos = e
    const n = e - s
    const buf = this.buf
    if (n > MAX_CACHED_STRING || n === 0) return n === 0 ? '' : buf.utf8Slice(s, e)
    // Hash the length and the first and last four bytes only: cheap, and the compare below
    // checks every byte anyway (a collision only costs a miss).
    let h: number
    if (n >= 4) {
      h = (buf[s]! | (buf[s + 1]! << 8) | (buf[s + 2]! << 16) | (buf[s + 3]! << 24)) ^ n
      h = Math.imul(h, 0x9e3779b1) ^ (buf[e - 4]! | (buf[e - 3]! << 8) | (buf[e - 2]! << 16) | (buf[e - 1]! << 24))
    } else {
      h = buf[s]! | (buf[e - 1]! << 8) | (n << 16)
    }
    h = Math.imul(h, 0x85ebca6b)
    const slot = (h ^ (h >>> 16)) & (STRING_CACHE_SIZE - 1)
    const hit = stringCache[slot]
    if (hit !== undefined && hit.length === n) {
      // Cached strings are ASCII (see below), so equal char codes mean equal bytes.
      let i = 0
      while (i < n && hit.charCodeAt(i) === buf[s + i]) i++
      if (i === n) return hit
    }
    const str = buf.utf8Slice(s, e)
    // Cache only when every byte became one char (ASCII; or invalid bytes as U+FFFD, which can
    // never compare equal to a byte above, so such an entry is harmless and just gets replaced).
    if (str.length === n) stringCache[slot] = str
    return str
  }

  /**
   * Skips one field of any wire type whose tag was just read. Groups (deprecated, never used by
   * OTLP) are skipped to their matching end tag, nested at most MAX_DEPTH deep.
   */
  skip (tag: number, end: number, depth = 0): void {
    const start = this.pos
    switch (tag & 7) {
      case WireType.VARINT: this.varint(end); return
      case WireType.I64:
        if (end - this.pos < 8) throw this.fail('truncated fixed64 field')
        this.pos += 8
        return
      case WireType.LEN: this.pos = this.len(end); return
      case WireType.I32:
        if (end - this.pos < 4) throw this.fail('truncated fixed32 field')
        this.pos += 4
        return
      case WireType.SGROUP: {
        if (depth >= MAX_DEPTH) throw this.fail(`groups nested deeper than ${MAX_DEPTH}`, start)
        const field = tag >>> 3
        for (;;) {
          if (this.pos >= end) throw this.fail(`unterminated group (field ${field})`, start)
          const t = this.tag(end)
          if ((t & 7) === WireType.EGROUP) {
            if (t >>> 3 !== field) throw this.fail(`end-group tag of field ${t >>> 3} closes group of field ${field}`, this.pos)
            return
          }
          this.skip(t, end, depth + 1)
        }
      }
      case WireType.EGROUP: throw this.fail(`unexpected end-group tag (field ${tag >>> 3})`, start)
      default: throw this.fail(`invalid wire type ${tag & 7} (field ${tag >>> 3})`, start)
    }
  }
}

const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', 'wire type 6', 'wire type 7']

/** The error for a known field carrying the wrong wire type. */
export function wrongWireType (tag: number, expected: number, offset: number): OtlpDecodeError {
  return new OtlpDecodeError(`wrong wire type: expected ${WIRE_TYPE_NAMES[expected]}, got ${WIRE_TYPE_NAMES[tag & 7]}`, offset)
}
