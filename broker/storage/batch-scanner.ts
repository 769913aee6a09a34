/**
 * Walks the batches of a segment file through a read buffer, so scanning many small batches
 * costs one read per chunk rather than one per batch. Used by recovery (full CRC checks), by
 * open (header-only tail scan) and by reads (find a batch by offset or timestamp).
 */
import { ATTRIBUTES_AT, BATCH_HEADER_SIZE, BATCH_LENGTH_AT, CRC_AT, CURRENT_MAGIC, LAST_OFFSET_DELTA_AT, LOG_OVERHEAD, MAGIC_AT, MAX_TIMESTAMP_AT, readBatchHeader } from './batch-header.ts'
import { crc32c } from '../protocol/crc32c.ts'
import type { BatchHeader } from './batch-header.ts'
import { readFully } from './fs-util.ts'

export interface ScannedBatch extends BatchHeader {
  /** File position of the batch's first byte. */
  position: number
  lastOffset: bigint
}

export interface ScanProblem {
  /** File position where valid data ends. */
  position: number
  kind: 'torn' | 'corrupt' | 'offset'
  reason: string
  /** The header at `position` when one was readable (for logging what is lost). */
  header: BatchHeader | null
}

export class BatchScanner {
  readonly #fd: number
  readonly #end: number
  readonly #chunk: number
  #buf: Buffer
  /** File position of `#buf[0]` and how many bytes of it are valid. */
  #bufStart = 0
  #bufLen = 0

  /** Scans `[*, end)` of `fd`, reading `chunk` bytes at a time (more for one larger batch). */
  constructor (fd: number, end: number, chunk = 64 * 1024) {
    this.#fd = fd
    this.#end = end
    this.#chunk = Math.max(chunk, BATCH_HEADER_SIZE)
    this.#buf = Buffer.allocUnsafe(this.#chunk)
  }

  /**
   * The batch at `position`, validated (framing always, CRC when asked, and its base offset
   * when `expectedBase` is given); `null` at the end; a `ScanProblem` when the bytes there are
   * not a valid batch.
   */
  at (position: number, verifyCrc: boolean, expectedBase?: bigint): ScannedBatch | ScanProblem | null {
    const available = this.#end - position
    if (available <= 0) return null
    if (available < LOG_OVERHEAD) return problemAt(position, 'torn', `${available} bytes left, less than a batch length prefix`, null)
    this.#ensure(position, Math.min(available, BATCH_HEADER_SIZE))
    let at = position - this.#bufStart
    const buf = this.#buf
    const size = LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_AT)
    if (size < BATCH_HEADER_SIZE) {
      return problemAt(position, 'corrupt', `batch length ${size} is below the ${BATCH_HEADER_SIZE}-byte header`, available >= BATCH_HEADER_SIZE ? readBatchHeader(buf, at) : null)
    }
    if (size > available) {
      return problemAt(position, 'torn', `batch of ${size} bytes but only ${available} left`, available >= BATCH_HEADER_SIZE ? readBatchHeader(buf, at) : null)
    }
    // size ≤ available, so the whole fixed header is in the buffer.
    const magic = buf.readInt8(at + MAGIC_AT)
    const lastOffsetDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA_AT)
    if (magic !== CURRENT_MAGIC) return problemAt(position, 'corrupt', `magic ${magic}, expected ${CURRENT_MAGIC}`, readBatchHeader(buf, at))
    if (lastOffsetDelta < 0) return problemAt(position, 'corrupt', 'negative lastOffsetDelta', readBatchHeader(buf, at))
    const crc = buf.readUInt32BE(at + CRC_AT)
    if (verifyCrc) {
      this.#ensure(position, size)
      at = position - this.#bufStart
      const actual = crc32c(this.#buf.subarray(at + ATTRIBUTES_AT, at + size))
      if (actual !== crc) return problemAt(position, 'corrupt', `CRC mismatch (stored ${crc}, computed ${actual})`, readBatchHeader(this.#buf, at))
    }
    const baseOffset = this.#buf.readBigInt64BE(at)
    if (expectedBase !== undefined && baseOffset !== expectedBase) {
      return problemAt(position, 'offset', `base offset ${baseOffset}, expected ${expectedBase}`, readBatchHeader(this.#buf, at))
    }
    return {
      baseOffset,
      size,
      magic,
      crc,
      lastOffsetDelta,
      maxTimestamp: this.#buf.readBigInt64BE(at + MAX_TIMESTAMP_AT),
      position,
      lastOffset: baseOffset + BigInt(lastOffsetDelta),
    }
  }

  /**
   * The bytes `[position, position + size)`, from the read buffer when it still holds them (a
   * fetch scans the batches it returns, so usually no second read is needed). The result is a
   * view: valid until the next call on this scanner.
   */
  view (position: number, size: number): Buffer {
    this.#ensure(position, size)
    if (this.#bufLen < position - this.#bufStart + size) throw new RangeError(`short read at ${position}`)
    const at = position - this.#bufStart
    return this.#buf.subarray(at, at + size)
  }

  #ensure (position: number, length: number): void {
    if (position >= this.#bufStart && position + length <= this.#bufStart + this.#bufLen) return
    const want = Math.min(Math.max(this.#chunk, length), this.#end - position)
    if (this.#buf.length < want) this.#buf = Buffer.allocUnsafe(want)
    this.#bufStart = position
    this.#bufLen = readFully(this.#fd, this.#buf, 0, want, position)
  }
}

function problemAt (position: number, kind: ScanProblem['kind'], reason: string, header: BatchHeader | null): ScanProblem {
  return { position, kind, reason, header }
}

export function isProblem (r: ScannedBatch | ScanProblem): r is ScanProblem {
  return 'kind' in r
}
