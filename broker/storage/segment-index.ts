/**
 * The in-memory halves of a segment's two sparse indexes, with their on-disk encodings
 * (Kafka's layout, big-endian):
 *
 *   .index      entries of 8 bytes:  relative offset int32, file position int32
 *   .timeindex  entries of 12 bytes: max timestamp int64, relative offset int32
 *
 * Entries are kept in typed arrays (a 1 GiB segment at the default 4 KiB interval has ~262k
 * entries: 2 MiB) and appended to the files in whole entries by the segment. `pending` returns
 * the bytes not yet written, so a rebuild can write the whole file in one call.
 */
export const OFFSET_ENTRY_SIZE = 8
export const TIME_ENTRY_SIZE = 12

function grow<T extends Int32Array | BigInt64Array> (arr: T, need: number, make: (n: number) => T): T {
  if (need <= arr.length) return arr
  const next = make(Math.max(need, arr.length * 2, 64))
  next.set(arr as never)
  return next
}

export class OffsetIndex {
  #rel = new Int32Array(0)
  #pos = new Int32Array(0)
  #count = 0
  #persisted = 0

  get count (): number { return this.#count }

  /** Parses an .index file, or returns why it cannot be trusted for a log of `logSize` bytes. */
  static decode (buf: Buffer, logSize: number): OffsetIndex | string {
    if (buf.length % OFFSET_ENTRY_SIZE !== 0) return `size ${buf.length} is not a multiple of ${OFFSET_ENTRY_SIZE}`
    const idx = new OffsetIndex()
    for (let at = 0; at < buf.length; at += OFFSET_ENTRY_SIZE) {
      const rel = buf.readInt32BE(at)
      const pos = buf.readInt32BE(at + 4)
      if (rel < 0 || pos < 0 || pos >= logSize) return `entry ${at / OFFSET_ENTRY_SIZE} (${rel}, ${pos}) out of bounds`
      const last = idx.last()
      if (last !== null && (rel <= last.rel || pos <= last.pos)) return `entry ${at / OFFSET_ENTRY_SIZE} is not increasing`
      idx.append(rel, pos)
    }
    idx.#persisted = idx.#count
    return idx
  }

  append (rel: number, pos: number): void {
    this.#rel = grow(this.#rel, this.#count + 1, (n) => new Int32Array(n))
    this.#pos = grow(this.#pos, this.#count + 1, (n) => new Int32Array(n))
    this.#rel[this.#count] = rel
    this.#pos[this.#count] = pos
    this.#count++
  }

  last (): { rel: number, pos: number } | null {
    if (this.#count === 0) return null
    return { rel: this.#rel[this.#count - 1] as number, pos: this.#pos[this.#count - 1] as number }
  }

  /** The last entry whose relative offset is ≤ `rel`, or the segment start. */
  floor (rel: number): { rel: number, pos: number } {
    let lo = 0
    let hi = this.#count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#rel[mid] as number) <= rel) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    if (found < 0) return { rel: 0, pos: 0 }
    return { rel: this.#rel[found] as number, pos: this.#pos[found] as number }
  }

  /** Encoded entries not yet handed out (for appending to the file); marks them written. */
  takePending (): Buffer {
    const buf = Buffer.allocUnsafe((this.#count - this.#persisted) * OFFSET_ENTRY_SIZE)
    for (let i = this.#persisted, at = 0; i < this.#count; i++, at += OFFSET_ENTRY_SIZE) {
      buf.writeInt32BE(this.#rel[i] as number, at)
      buf.writeInt32BE(this.#pos[i] as number, at + 4)
    }
    this.#persisted = this.#count
    return buf
  }

  /** Byte length of the entries already handed out (where the next pending bytes go). */
  get persistedBytes (): number { return this.#persisted * OFFSET_ENTRY_SIZE }
}

export class TimeIndex {
  #ts = new BigInt64Array(0)
  #rel = new Int32Array(0)
  #count = 0
  #persisted = 0

  get count (): number { return this.#count }

  /** Parses a .timeindex file, or returns why it cannot be trusted. */
  static decode (buf: Buffer): TimeIndex | string {
    if (buf.length % TIME_ENTRY_SIZE !== 0) return `size ${buf.length} is not a multiple of ${TIME_ENTRY_SIZE}`
    const idx = new TimeIndex()
    for (let at = 0; at < buf.length; at += TIME_ENTRY_SIZE) {
      const ts = buf.readBigInt64BE(at)
      const rel = buf.readInt32BE(at + 8)
      const last = idx.last()
      if (rel < 0) return `entry ${at / TIME_ENTRY_SIZE} has a negative offset`
      if (last !== null && (ts <= last.ts || rel < last.rel)) return `entry ${at / TIME_ENTRY_SIZE} is not increasing`
      idx.append(ts, rel)
    }
    idx.#persisted = idx.#count
    return idx
  }

  append (ts: bigint, rel: number): void {
    this.#ts = grow(this.#ts, this.#count + 1, (n) => new BigInt64Array(n))
    this.#rel = grow(this.#rel, this.#count + 1, (n) => new Int32Array(n))
    this.#ts[this.#count] = ts
    this.#rel[this.#count] = rel
    this.#count++
  }

  last (): { ts: bigint, rel: number } | null {
    if (this.#count === 0) return null
    return { ts: this.#ts[this.#count - 1] as bigint, rel: this.#rel[this.#count - 1] as number }
  }

  /**
   * The relative offset of the last entry with a timestamp < `ts`, or null. Every batch up to
   * and including that offset has maxTimestamp < `ts`, so a search for the first batch with
   * maxTimestamp ≥ `ts` can start after it.
   */
  lastBelow (ts: bigint): number | null {
    let lo = 0
    let hi = this.#count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#ts[mid] as bigint) < ts) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    return found < 0 ? null : this.#rel[found] as number
  }

  takePending (): Buffer {
    const buf = Buffer.allocUnsafe((this.#count - this.#persisted) * TIME_ENTRY_SIZE)
    for (let i = this.#persisted, at = 0; i < this.#count; i++, at += TIME_ENTRY_SIZE) {
      buf.writeBigInt64BE(this.#ts[i] as bigint, at)
      buf.writeInt32BE(this.#rel[i] as number, at + 8)
    }
    this.#persisted = this.#count
    return buf
  }

  get persistedBytes (): number { return this.#persisted * TIME_ENTRY_SIZE }
}
