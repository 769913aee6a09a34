/**
 * Bounds-checked byte reader and growable writer for the ring codecs. Every read past the end
 * or of a malformed value throws `RingCodecError` naming the field, never a RangeError, so a
 * decoder has exactly one failure type. Shared by every codec version: it holds no format rules.
 */
import { RingCodecError } from '../errors.ts'
import type { Hlc } from '../hlc.ts'
import { maxLogical, maxWall } from '../hlc.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export class ByteReader {
  #pos = 0
  readonly #view: DataView
  readonly #bytes: Uint8Array

  constructor (bytes: Uint8Array) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get remaining (): number { return this.#bytes.byteLength - this.#pos }

  #need (n: number, field: string): void {
    if (this.remaining < n) throw new RingCodecError(field, `truncated: need ${n} bytes at offset ${this.#pos}, have ${this.remaining}`)
  }

  u8 (field: string): number {
    this.#need(1, field)
    return this.#view.getUint8(this.#pos++)
  }

  u32 (field: string): number {
    this.#need(4, field)
    const v = this.#view.getUint32(this.#pos)
    this.#pos += 4
    return v
  }

  /** An HLC packed as 48-bit wall ‖ 16-bit logical, big-endian (hlc.ts `hlcToBigInt`). */
  hlc (field: string): Hlc {
    this.#need(8, field)
    const hi = this.#view.getUint32(this.#pos)
    const lo = this.#view.getUint32(this.#pos + 4)
    this.#pos += 8
    return { wall: hi * 0x10000 + (lo >>> 16), logical: lo & 0xffff }
  }

  /** A u8 byte length and that many bytes of valid UTF-8. */
  str (field: string): string {
    const n = this.u8(field)
    this.#need(n, field)
    const b = this.#bytes.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    try {
      return utf8.decode(b)
    } catch {
      throw new RingCodecError(field, 'invalid UTF-8')
    }
  }
}

export class ByteWriter {
  #buf = Buffer.alloc(256)
  #len = 0

  #room (n: number): void {
    if (this.#len + n <= this.#buf.length) return
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n))
    this.#buf.copy(next, 0, 0, this.#len)
    this.#buf = next
  }

  u8 (v: number, field: string): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RingCodecError(field, `not a u8: ${v}`)
    this.#room(1)
    this.#buf.writeUInt8(v, this.#len++)
  }

  u32 (v: number, field: string): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RingCodecError(field, `not a u32: ${v}`)
    this.#room(4)
    this.#buf.writeUInt32BE(v, this.#len)
    this.#len += 4
  }

  hlc (h: Hlc, field: string): void {
    if (!Number.isInteger(h.wall) || h.wall < 0 || h.wall > maxWall || !Number.isInteger(h.logical) || h.logical < 0 || h.logical > maxLogical) {
      throw new RingCodecError(field, `timestamp out of range: ${h.wall}.${h.logical}`)
    }
    this.#room(8)
    this.#buf.writeUInt32BE(Math.floor(h.wall / 0x10000), this.#len)
    this.#buf.writeUInt32BE(((h.wall % 0x10000) * 0x10000 + h.logical) >>> 0, this.#len + 4)
    this.#len += 8
  }

  str (s: string, field: string): void {
    if (loneSurrogate.test(s)) throw new RingCodecError(field, 'not valid Unicode (lone surrogate)')
    const b = Buffer.from(s, 'utf8')
    if (b.length > 0xff) throw new RingCodecError(field, `longer than 255 bytes (${b.length})`)
    this.u8(b.length, field)
    this.#room(b.length)
    b.copy(this.#buf, this.#len)
    this.#len += b.length
  }

  get length (): number { return this.#len }

  toBuffer (): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len))
  }
}
