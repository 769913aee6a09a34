/**
 * Walks the batches of a segment file through a read buffer, so scanning many small batches
 * costs one read per chunk rather than one per batch. Used by recovery (full CRC checks), by
 * open (header-only tail scan) and by reads (find a batch by offset or timestamp).
 */
import { ATTRIBUTES_AT, BATCH_HEADER_SIZE, BATCH_LENGTH_AT, CURRENT_MAGIC, LOG_OVERHEAD, readBatchHeader } from './batch-header.ts'
import { crc32c } from './crc32c.ts'
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
    const problem = (kind: ScanProblem['kind'], reason: string, header: BatchHeader | null = null): ScanProblem =>
      ({ position, kind, reason, header })
    if (available < LOG_OVERHEAD) return problem('torn', `${available} bytes left, less than a batch length prefix`)
    this.#ensure(position, Math.min(available, BATCH_HEADER_SIZE))
    let at = position - this.#bufStart
    const size = LOG_OVERHEAD + this.#buf.readInt32BE(at + BATCH_LENGTH_AT)
    const header = available >= BATCH_HEADER_SIZE ? readBatchHeader(this.#buf, at) : null
    if (size < BATCH_HEADER_SIZE) return problem('corrupt', `batch length ${size} is below the ${BATCH_HEADER_SIZE}-byte header`, header)
    if (size > available) return problem('torn', `batch of ${size} bytes but only ${available} left`, header)
    if (header === null) return problem('corrupt', 'unreadable header') // unreachable: size ≤ available
    if (header.magic !== CURRENT_MAGIC) return problem('corrupt', `magic ${header.magic}, expected ${CURRENT_MAGIC}`, header)
    if (header.lastOffsetDelta < 0) return problem('corrupt', 'negative lastOffsetDelta', header)
    if (verifyCrc) {
      this.#ensure(position, size)
      at = position - this.#bufStart
      const actual = crc32c(this.#buf, at + ATTRIBUTES_AT, at + size)
      if (actual !== header.crc) return problem('corrupt', `CRC mismatch (stored ${header.crc}, computed ${actual})`, header)
    }
    if (expectedBase !== undefined && header.baseOffset !== expectedBase) {
      return problem('offset', `base offset ${header.baseOffset}, expected ${expectedBase}`, header)
    }
    return { ...header, position, lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta) }
  }

  /** A copy of the bytes `[position, position + size)` (a whole batch found by `at`). */
  copy (position: number, size: number): Buffer {
    this.#ensure(position, size)
    const at = position - this.#bufStart
    return Buffer.from(this.#buf.subarray(at, at + size))
  }

  #ensure (position: number, length: number): void {
    if (position >= this.#bufStart && position + length <= this.#bufStart + this.#bufLen) return
    const want = Math.min(Math.max(this.#chunk, length), this.#end - position)
    if (this.#buf.length < want) this.#buf = Buffer.allocUnsafe(want)
    this.#bufStart = position
    this.#bufLen = readFully(this.#fd, this.#buf, 0, want, position)
  }
}

export function isProblem (r: ScannedBatch | ScanProblem): r is ScanProblem {
  return 'kind' in r
}
