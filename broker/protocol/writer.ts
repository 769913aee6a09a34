/**
 * A growable writer for Kafka's classic wire types.
 *
 * Small fields go into a scratch buffer; `raw()` of a large Buffer (a fetched record set, often
 * MBs) is kept by reference as its own chunk, so record data is copied exactly once — into the
 * final `toBuffer()` — or not at all when the caller sends `toChunks()` with a vectored write.
 */
const MIN_SCRATCH = 256
const MAX_SCRATCH = 64 * 1024
/** Raw buffers at least this long are referenced instead of copied into the scratch buffer. */
const RAW_BY_REFERENCE = 1024

export class Writer {
  private readonly chunks: Buffer[] = []
  private flushed = 0
  private buf: Buffer
  private start = 0
  private pos = 0

  constructor (initialSize = MIN_SCRATCH) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize))
  }

  /** Bytes written so far. */
  get length (): number {
    return this.flushed + this.pos - this.start
  }

  /** Moves the written part of the scratch buffer into the chunk list. */
  private flush (): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos))
      this.flushed += this.pos - this.start
      this.start = this.pos
    }
  }

  /**
   * Makes room for `n` more bytes in the scratch buffer and returns where to write them. It may
   * swap `this.buf`, so callers must call it *before* reading `this.buf` (`this.buf[this.room(1)]`
   * would write into the old buffer).
   */
  private room (n: number): number {
    if (this.pos + n > this.buf.length) {
      this.flush()
      const size = Math.max(n, Math.min(MAX_SCRATCH, this.buf.length * 2))
      this.buf = Buffer.allocUnsafe(size)
      this.start = 0
      this.pos = 0
    }
    const at = this.pos
    this.pos += n
    return at
  }

  int8 (v: number): this {
    const at = this.room(1)
    this.buf.writeInt8(v, at)
    return this
  }

  int16 (v: number): this {
    const at = this.room(2)
    this.buf.writeInt16BE(v, at)
    return this
  }

  int32 (v: number): this {
    const at = this.room(4)
    this.buf.writeInt32BE(v, at)
    return this
  }

  uint32 (v: number): this {
    const at = this.room(4)
    this.buf.writeUInt32BE(v, at)
    return this
  }

  int64 (v: bigint): this {
    const at = this.room(8)
    this.buf.writeBigInt64BE(v, at)
    return this
  }

  boolean (v: boolean): this {
    return this.int8(v ? 1 : 0)
  }

  /** Unsigned LEB128 of a non-negative int32-range value (already zigzagged). */
  private uvarint (u: number): this {
    let v = u >>> 0
    while (v >= 0x80) {
      const at = this.room(1)
      this.buf[at] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    const at = this.room(1)
    this.buf[at] = v
    return this
  }

  varint (v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
  }

  varlong (v: bigint): this {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
    while (u >= 0x80n) {
      const at = this.room(1)
      this.buf[at] = Number(u & 0x7fn) | 0x80
      u >>= 7n
    }
    const at = this.room(1)
    this.buf[at] = Number(u)
    return this
  }

  string (s: string): this {
    const len = Buffer.byteLength(s, 'utf8')
    if (len > 0x7fff) throw new RangeError(`string of ${len} bytes does not fit an int16 length`)
    this.int16(len)
    const at = this.room(len)
    this.buf.write(s, at, len, 'utf8')
    return this
  }

  nullableString (s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s)
  }

  bytes (b: Uint8Array): this {
    this.int32(b.length)
    return this.raw(b)
  }

  nullableBytes (b: Uint8Array | null): this {
    return b === null ? this.int32(-1) : this.bytes(b)
  }

  varintString (s: string | null): this {
    return this.varintBytes(s === null ? null : Buffer.from(s, 'utf8'))
  }

  varintBytes (b: Uint8Array | null): this {
    if (b === null) return this.varint(-1)
    this.varint(b.length)
    return this.raw(b)
  }

  /** Appends bytes without a length prefix; large buffers are referenced, not copied. */
  raw (b: Uint8Array): this {
    if (b.length >= RAW_BY_REFERENCE) {
      this.flush()
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length))
      this.flushed += b.length
    } else if (b.length > 0) {
      const at = this.room(b.length)
      this.buf.set(b, at)
    }
    return this
  }

  array<T> (items: readonly T[], element: (w: Writer, item: T) => void): this {
    this.int32(items.length)
    for (const item of items) element(this, item)
    return this
  }

  nullableArray<T> (items: readonly T[] | null, element: (w: Writer, item: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, element)
  }

  int32Array (items: readonly number[]): this {
    return this.array(items, (w, v) => w.int32(v))
  }

  stringArray (items: readonly string[]): this {
    return this.array(items, (w, v) => w.string(v))
  }

  /** The written bytes as chunks (for a vectored socket write); valid until the next write. */
  toChunks (): Buffer[] {
    this.flush()
    return this.chunks.slice()
  }

  /** The written bytes as one Buffer (a single concat, or no copy when there is one chunk). */
  toBuffer (): Buffer {
    this.flush()
    if (this.chunks.length === 1) return this.chunks[0] as Buffer
    return Buffer.concat(this.chunks, this.flushed)
  }
}
