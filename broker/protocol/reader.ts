/**
 * A bounds-checked cursor over a Buffer for Kafka's classic (non-flexible) wire types.
 *
 * Every read checks the remaining bytes first and throws `ProtocolDecodeError` naming the field,
 * so hostile input can never reach Node's RangeError or make us allocate from an untrusted
 * length: lengths and array counts are validated against the bytes actually left before
 * anything is allocated. `bytes()` returns a view into the input (no copy): record sets in a
 * produce request are tens of MB and go to storage unchanged.
 */
import { ProtocolDecodeError } from './errors.ts'

export class Reader {
  readonly buf: Buffer
  offset: number
  readonly end: number

  constructor (buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new ProtocolDecodeError('reader', `bad window [${offset}, ${end}) over ${buf.length} bytes`)
    }
    this.buf = buf
    this.offset = offset
    this.end = end
  }

  get remaining (): number {
    return this.end - this.offset
  }

  /** Claims `n` bytes and returns where they start. */
  private take (n: number, field: string): number {
    const at = this.offset
    if (n > this.end - at) {
      throw new ProtocolDecodeError(field, `needs ${n} bytes at offset ${at}, only ${this.end - at} left`)
    }
    this.offset = at + n
    return at
  }

  skip (n: number, field = 'bytes'): void {
    this.take(n, field)
  }

  int8 (field = 'int8'): number {
    return this.buf.readInt8(this.take(1, field))
  }

  int16 (field = 'int16'): number {
    return this.buf.readInt16BE(this.take(2, field))
  }

  int32 (field = 'int32'): number {
    return this.buf.readInt32BE(this.take(4, field))
  }

  uint32 (field = 'uint32'): number {
    return this.buf.readUInt32BE(this.take(4, field))
  }

  int64 (field = 'int64'): bigint {
    return this.buf.readBigInt64BE(this.take(8, field))
  }

  /** Kafka booleans are one byte; any non-zero value is true (as in Kafka's Type.BOOLEAN). */
  boolean (field = 'boolean'): boolean {
    return this.buf[this.take(1, field)] !== 0
  }

  /** Zigzag-encoded signed varint (at most 5 bytes), as used inside record batches. */
  varint (field = 'varint'): number {
    let value = 0
    for (let shift = 0; shift <= 28; shift += 7) {
      const b = this.buf[this.take(1, field)] as number
      value |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return (value >>> 1) ^ -(value & 1)
    }
    throw new ProtocolDecodeError(field, 'varint longer than 5 bytes')
  }

  /** Zigzag-encoded signed varlong (at most 10 bytes). */
  varlong (field = 'varlong'): bigint {
    // Fast path: the first 7 bytes (49 bits) fit exactly in a double.
    let small = 0
    let mul = 1
    for (let i = 0; i < 7; i++) {
      const b = this.buf[this.take(1, field)] as number
      small += (b & 0x7f) * mul
      if ((b & 0x80) === 0) return BigInt(small % 2 === 0 ? small / 2 : -(small + 1) / 2)
      mul *= 128
    }
    let value = BigInt(small)
    for (let shift = 49n; shift <= 63n; shift += 7n) {
      const b = this.buf[this.take(1, field)] as number
      value |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) {
        value = BigInt.asUintN(64, value)
        return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n))
      }
    }
    throw new ProtocolDecodeError(field, 'varlong longer than 10 bytes')
  }

  /** Non-nullable string (int16 length). A null (-1) here is malformed, as in Kafka. */
  string (field = 'string'): string {
    const s = this.nullableString(field)
    if (s === null) throw new ProtocolDecodeError(field, 'null for a non-nullable string')
    return s
  }

  nullableString (field = 'string'): string | null {
    const len = this.int16(field)
    if (len === -1) return null
    if (len < 0) throw new ProtocolDecodeError(field, `negative string length ${len}`)
    const at = this.take(len, field)
    return this.buf.toString('utf8', at, at + len)
  }

  /** Non-nullable bytes (int32 length); returns a view into the input, not a copy. */
  bytes (field = 'bytes'): Buffer {
    const b = this.nullableBytes(field)
    if (b === null) throw new ProtocolDecodeError(field, 'null for non-nullable bytes')
    return b
  }

  nullableBytes (field = 'bytes'): Buffer | null {
    const len = this.int32(field)
    if (len === -1) return null
    if (len < 0) throw new ProtocolDecodeError(field, `negative length ${len}`)
    const at = this.take(len, field)
    return this.buf.subarray(at, at + len)
  }

  /** Varint-length string as used by record headers; -1 is null. */
  varintString (field = 'string'): string | null {
    const b = this.varintBytes(field)
    return b === null ? null : b.toString('utf8')
  }

  /** Varint-length bytes as used by record keys, values and header values; -1 is null. */
  varintBytes (field = 'bytes'): Buffer | null {
    const len = this.varint(field)
    if (len === -1) return null
    if (len < 0) throw new ProtocolDecodeError(field, `negative length ${len}`)
    const at = this.take(len, field)
    return this.buf.subarray(at, at + len)
  }

  /**
   * Non-nullable array with an int32 count. `minSize` is the smallest encoded element: the count
   * is checked against the remaining bytes before the result is allocated.
   */
  array<T> (field: string, element: (r: Reader) => T, minSize = 1): T[] {
    const a = this.nullableArray(field, element, minSize)
    if (a === null) throw new ProtocolDecodeError(field, 'null for a non-nullable array')
    return a
  }

  nullableArray<T> (field: string, element: (r: Reader) => T, minSize = 1): T[] | null {
    const count = this.int32(field)
    if (count === -1) return null
    if (count < 0) throw new ProtocolDecodeError(field, `negative array count ${count}`)
    if (count * minSize > this.end - this.offset) {
      throw new ProtocolDecodeError(field, `array count ${count} exceeds the ${this.end - this.offset} bytes left`)
    }
    const out: T[] = new Array<T>(count)
    for (let i = 0; i < count; i++) out[i] = element(this)
    return out
  }

  int32Array (field: string): number[] {
    return this.array(field, (r) => r.int32(field), 4)
  }

  stringArray (field: string): string[] {
    return this.array(field, (r) => r.string(field), 2)
  }

  /** Throws unless every byte was consumed (used where trailing garbage means corruption). */
  expectEnd (field: string): void {
    if (this.offset !== this.end) {
      throw new ProtocolDecodeError(field, `${this.end - this.offset} unexpected trailing bytes`)
    }
  }
}
