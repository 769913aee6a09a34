/**
 * Minimal protobuf wire-format writer for an exactly pre-sized buffer: the encoder computes every
 * message size first (encode-proto.ts), allocates once and writes front to back, so there is no
 * growing, no back-patching of length prefixes and no bounds checks here (the size pass is the
 * check; `finish()` verifies the total).
 */

// Scratch space to split a bigint into 32-bit halves without allocating.
const scratch = new ArrayBuffer(8)
const scratchU32 = new Uint32Array(scratch)
const scratchU64 = new BigUint64Array(scratch)
const scratchI64 = new BigInt64Array(scratch)

/** Bytes of a varint holding an unsigned 32-bit value. */
export function varintSize (n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5
}

/** Bytes of an int32 varint: negative values are sign-extended to 10 bytes. */
export function int32Size (n: number): number {
  return n < 0 ? 10 : varintSize(n)
}

/** Bytes of an int64 varint (two's complement, so negative values take 10 bytes). */
export function int64Size (v: bigint): number {
  scratchI64[0] = v
  const hi = scratchU32[1]!
  if (hi === 0) return varintSize(scratchU32[0]!)
  return Math.ceil((64 - Math.clz32(hi)) / 7)
}

/** Bytes of a length-delimited field's payload prefix + payload. */
export function lenSize (n: number): number {
  return varintSize(n) + n
}

/**
 * UTF-8 length of a string as Buffer#write encodes it (a lone surrogate becomes U+FFFD, 3 bytes).
 * A JS loop for short strings (no native-call overhead), Buffer.byteLength for long ones.
 */
export function utf8Length (s: string): number {
  const n = s.length
  if (n > 64) return Buffer.byteLength(s, 'utf8')
  let bytes = n
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) { bytes += 1; continue }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) { bytes += 2; i++; continue } // a pair: 4 bytes for 2 units
    }
    bytes += 2
  }
  return bytes
}

export class ProtoWriter {
  readonly buf: Buffer
  pos = 0

  constructor (size: number) {
    this.buf = Buffer.allocUnsafe(size)
  }

  /** The written bytes; throws if the size pass and the write pass disagree (a bug, not input). */
  finish (): Buffer {
    if (this.pos !== this.buf.length) throw new Error(`protobuf encoder wrote ${this.pos} bytes, sized ${this.buf.length}`)
    return this.buf
  }

  /** An unsigned 32-bit varint (tags, lengths, uint32 fields). */
  varint (n: number): void {
    const buf = this.buf
    let pos = this.pos
    while (n > 0x7f) {
      buf[pos++] = (n & 0x7f) | 0x80
      n >>>= 7
    }
    buf[pos++] = n
    this.pos = pos
  }

  int32 (n: number): void {
    if (n >= 0) this.varint(n)
    else this.varint64(n >>> 0, 0xffffffff)
  }

  int64 (v: bigint): void {
    scratchI64[0] = v
    this.varint64(scratchU32[0]!, scratchU32[1]!)
  }

  varint64 (lo: number, hi: number): void {
    const buf = this.buf
    let pos = this.pos
    while (hi !== 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80
      lo = ((lo >>> 7) | (hi << 25)) >>> 0
      hi >>>= 7
    }
    buf[pos++] = lo
    this.pos = pos
  }

  fixed32 (n: number): void {
    this.buf.writeUInt32LE(n >>> 0, this.pos)
    this.pos += 4
  }

  /** fixed64 from a bigint; values outside 0..2^64-1 wrap (BigUint64Array semantics). */
  fixed64 (v: bigint): void {
    scratchU64[0] = v
    const buf = this.buf
    const pos = this.pos
    const lo = scratchU32[0]!
    const hi = scratchU32[1]!
    buf[pos] = lo
    buf[pos + 1] = lo >>> 8
    buf[pos + 2] = lo >>> 16
    buf[pos + 3] = lo >>> 24
    buf[pos + 4] = hi
    buf[pos + 5] = hi >>> 8
    buf[pos + 6] = hi >>> 16
    buf[pos + 7] = hi >>> 24
    this.pos = pos + 8
  }

  double (v: number): void {
    this.buf.writeDoubleLE(v, this.pos)
    this.pos += 8
  }

  /** Length prefix + bytes. */
  bytes (b: Uint8Array): void {
    this.varint(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /** Length prefix + UTF-8; `byteLength` is utf8Length(s), already known from the size pass. */
  string (s: string, byteLength: number): void {
    this.varint(byteLength)
    if (byteLength === s.length && byteLength < 64) {
      // ASCII (byte length equals UTF-16 length only then): a JS loop beats the native call.
      const buf = this.buf
      let pos = this.pos
      for (let i = 0; i < byteLength; i++) buf[pos++] = s.charCodeAt(i)
      this.pos = pos
    } else {
      this.pos += this.buf.write(s, this.pos, 'utf8')
    }
  }
}
