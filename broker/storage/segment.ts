/**
 * One segment: `<base>.log` (concatenated RecordBatch v2 bytes) with its sparse `.index` and
 * `.timeindex`. The log fd stays open for positional reads and writes; the index fds only while
 * the segment is active (sealed segments keep their indexes in memory and never change).
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readFileSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { BatchScanner, isProblem } from './batch-scanner.ts'
import type { ScannedBatch, ScanProblem } from './batch-scanner.ts'
import { CorruptDataError } from './errors.ts'
import { readFully, writeFully } from './fs-util.ts'
import { OffsetIndex, TimeIndex } from './segment-index.ts'

/** Kafka's "no timestamp". */
export const NO_TIMESTAMP = -1n

/** `<baseOffset zero-padded to 20 digits>`, Kafka's segment file stem. */
export function segmentStem (baseOffset: bigint): string {
  return baseOffset.toString().padStart(20, '0')
}

/** Read-buffer size for lookups: a little more than one index interval covers most scans. */
const LOOKUP_CHUNK = 16 * 1024
const RECOVERY_CHUNK = 1024 * 1024

export interface RecoveryResult {
  truncatedBytes: number
  problem: ScanProblem | null
}

export class Segment {
  readonly baseOffset: bigint
  readonly logPath: string
  readonly indexPath: string
  readonly timeIndexPath: string
  readonly #indexIntervalBytes: number
  readonly #logFd: number
  #indexFd: number | null = null
  #timeFd: number | null = null
  #offsetIndex = new OffsetIndex()
  #timeIndex = new TimeIndex()
  #size: number
  #nextOffset: bigint
  #maxTimestamp = NO_TIMESTAMP
  #offsetOfMax: bigint
  #bytesSinceIndex = 0
  #closed = false

  private constructor (dir: string, baseOffset: bigint, indexIntervalBytes: number, logFd: number, size: number) {
    this.baseOffset = baseOffset
    const stem = join(dir, segmentStem(baseOffset))
    this.logPath = stem + '.log'
    this.indexPath = stem + '.index'
    this.timeIndexPath = stem + '.timeindex'
    this.#indexIntervalBytes = indexIntervalBytes
    this.#logFd = logFd
    this.#size = size
    this.#nextOffset = baseOffset
    this.#offsetOfMax = baseOffset
  }

  /** A new, empty, active segment (fails if its files exist). */
  static create (dir: string, baseOffset: bigint, indexIntervalBytes: number): Segment {
    const seg = new Segment(dir, baseOffset, indexIntervalBytes, openSync(join(dir, segmentStem(baseOffset) + '.log'), 'wx+'), 0)
    seg.#indexFd = openSync(seg.indexPath, 'w+')
    seg.#timeFd = openSync(seg.timeIndexPath, 'w+')
    return seg
  }

  /** Opens an existing segment's log; call `loadIndexes` + `scanTail`, or `recover`, next. */
  static open (dir: string, baseOffset: bigint, indexIntervalBytes: number): Segment {
    const fd = openSync(join(dir, segmentStem(baseOffset) + '.log'), 'r+')
    return new Segment(dir, baseOffset, indexIntervalBytes, fd, fstatSync(fd).size)
  }

  get size (): number { return this.#size }
  /** One past the last offset stored here (the base offset when empty). */
  get nextOffset (): bigint { return this.#nextOffset }
  /** The largest batch maxTimestamp stored here, or NO_TIMESTAMP. */
  get maxTimestamp (): bigint { return this.#maxTimestamp }
  get logFd (): number { return this.#logFd }
  get active (): boolean { return this.#indexFd !== null }

  /** Loads both index files; returns why they cannot be trusted, or null. */
  loadIndexes (): string | null {
    if (!existsSync(this.indexPath) || !existsSync(this.timeIndexPath)) return 'index file missing'
    const offsets = OffsetIndex.decode(readFileSync(this.indexPath), this.#size)
    if (typeof offsets === 'string') return `.index: ${offsets}`
    const times = TimeIndex.decode(readFileSync(this.timeIndexPath))
    if (typeof times === 'string') return `.timeindex: ${times}`
    this.#offsetIndex = offsets
    this.#timeIndex = times
    return null
  }

  /**
   * After `loadIndexes`: walks the headers after the last index entry (at most about one index
   * interval) to learn the next offset and max timestamp without reading the whole segment.
   * Returns the problem when the framing there is bad; the caller then runs `recover`.
   */
  scanTail (): ScanProblem | null {
    const last = this.#offsetIndex.last()
    let pos = last?.pos ?? 0
    let expected: bigint | undefined = last === null ? this.baseOffset : undefined
    const lastTime = this.#timeIndex.last()
    if (lastTime !== null) {
      this.#maxTimestamp = lastTime.ts
      this.#offsetOfMax = this.baseOffset + BigInt(lastTime.rel)
    }
    const scanner = new BatchScanner(this.#logFd, this.#size, RECOVERY_CHUNK)
    for (;;) {
      const b = scanner.at(pos, false, expected)
      if (b === null) break
      if (isProblem(b)) return b
      if (last !== null && pos === last.pos && b.baseOffset !== this.baseOffset + BigInt(last.rel)) {
        return { position: pos, kind: 'offset', reason: `index entry says offset ${this.baseOffset + BigInt(last.rel)} but the batch has ${b.baseOffset}`, header: b }
      }
      this.#noteMax(b)
      pos += b.size
      expected = b.lastOffset + 1n
    }
    this.#nextOffset = expected ?? this.baseOffset
    this.#bytesSinceIndex = this.#size - (last?.pos ?? 0)
    return null
  }

  /**
   * Validates every batch (framing, magic, CRC, contiguous offsets from the base), truncates the
   * file at the first bad one, and rebuilds both indexes from what remains.
   */
  recover (): RecoveryResult {
    this.#offsetIndex = new OffsetIndex()
    this.#timeIndex = new TimeIndex()
    this.#maxTimestamp = NO_TIMESTAMP
    this.#offsetOfMax = this.baseOffset
    this.#bytesSinceIndex = 0
    const scanner = new BatchScanner(this.#logFd, this.#size, RECOVERY_CHUNK)
    let pos = 0
    let expected = this.baseOffset
    let problem: ScanProblem | null = null
    for (;;) {
      const b = scanner.at(pos, true, expected)
      if (b === null) break
      if (isProblem(b)) { problem = b; break }
      this.#track(b, pos)
      pos += b.size
      expected = b.lastOffset + 1n
    }
    const truncatedBytes = this.#size - pos
    if (truncatedBytes > 0) {
      ftruncateSync(this.#logFd, pos)
      this.#size = pos
    }
    this.#nextOffset = expected
    this.#rewriteIndexes()
    return { truncatedBytes, problem }
  }

  /** Makes this the segment appends go to: opens (or creates) its index files for writing. */
  activate (): void {
    if (this.#indexFd !== null) return
    this.#indexFd = openSync(this.indexPath, existsSync(this.indexPath) ? 'r+' : 'w+')
    this.#timeFd = openSync(this.timeIndexPath, existsSync(this.timeIndexPath) ? 'r+' : 'w+')
  }

  /**
   * Writes one batch (its baseOffset already assigned) at the end. On a write error the file is
   * cut back so no partial batch is left behind, and the error is rethrown.
   */
  append (batch: Buffer, header: { baseOffset: bigint, lastOffsetDelta: number, maxTimestamp: bigint }): void {
    if (this.#indexFd === null) throw new Error(`segment ${this.logPath} is not active`)
    const pos = this.#size
    try {
      writeFully(this.#logFd, batch, pos)
    } catch (err) {
      try { ftruncateSync(this.#logFd, pos) } catch { /* the original error is the one to report */ }
      throw err
    }
    this.#size += batch.length
    this.#nextOffset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n
    this.#track({ ...header, size: batch.length }, pos)
    this.#writePendingIndexEntries()
  }

  /** The batch containing `offset`, and a scanner positioned to continue after it; null past the end. */
  find (offset: bigint, chunk = LOOKUP_CHUNK): { batch: ScannedBatch, scanner: BatchScanner } | null {
    if (offset >= this.#nextOffset) return null
    const rel = offset <= this.baseOffset ? 0 : Number(offset - this.baseOffset)
    const scanner = this.scanner(chunk)
    for (let pos = this.#offsetIndex.floor(rel).pos; ;) {
      const b = this.#batchAt(scanner, pos)
      if (b === null) return null
      if (b.lastOffset >= offset) return { batch: b, scanner }
      pos += b.size
    }
  }

  /** The first batch whose maxTimestamp ≥ `ts` (the time index says where to start). */
  findByTimestamp (ts: bigint): { batch: ScannedBatch, scanner: BatchScanner } | null {
    if (this.#maxTimestamp < ts) return null
    const below = this.#timeIndex.lastBelow(ts)
    const start = below === null ? this.baseOffset : this.baseOffset + BigInt(below)
    const found = this.find(start)
    if (found === null) return null
    for (let b: ScannedBatch | null = found.batch; b !== null; b = this.#batchAt(found.scanner, b.position + b.size)) {
      if (b.maxTimestamp >= ts) return { batch: b, scanner: found.scanner }
    }
    return null
  }

  /** A scanner over the current contents; `chunk` is its read size (reads pass their byte budget). */
  scanner (chunk = LOOKUP_CHUNK): BatchScanner { return new BatchScanner(this.#logFd, this.#size, chunk) }

  /** The next batch at `pos` via `scanner`, null at the end; corrupt framing here is a bug or disk damage. */
  batchAt (scanner: BatchScanner, pos: number): ScannedBatch | null { return this.#batchAt(scanner, pos) }

  /** The bytes `[start, end)` of the log. */
  read (start: number, end: number): Buffer {
    const buf = Buffer.allocUnsafe(end - start)
    const n = readFully(this.#logFd, buf, 0, end - start, start)
    if (n !== end - start) throw new CorruptDataError(`${this.logPath}: short read at ${start} (${n} of ${end - start} bytes)`)
    return buf
  }

  /**
   * Stops appends here: records the final max timestamp in the time index, writes pending index
   * entries, optionally fdatasyncs all three files, and closes the index fds.
   */
  seal (sync: boolean): void {
    if (this.#indexFd === null || this.#timeFd === null) return
    const lastTime = this.#timeIndex.last()
    if (this.#maxTimestamp > (lastTime?.ts ?? NO_TIMESTAMP)) {
      this.#timeIndex.append(this.#maxTimestamp, Number(this.#offsetOfMax - this.baseOffset))
    }
    this.#writePendingIndexEntries()
    if (sync) {
      fdatasyncSync(this.#logFd)
      fdatasyncSync(this.#indexFd)
      fdatasyncSync(this.#timeFd)
    }
    closeSync(this.#indexFd)
    closeSync(this.#timeFd)
    this.#indexFd = null
    this.#timeFd = null
  }

  /** Closes every fd (seal first to keep the indexes complete). */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    for (const fd of [this.#indexFd, this.#timeFd, this.#logFd]) {
      if (fd !== null) closeSync(fd)
    }
    this.#indexFd = null
    this.#timeFd = null
  }

  /** Removes the three files (the fds may still be open; the caller closes them). */
  deleteFiles (): void {
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try { unlinkSync(p) } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
  }

  #batchAt (scanner: BatchScanner, pos: number): ScannedBatch | null {
    const b = scanner.at(pos, false)
    if (b === null) return null
    if (isProblem(b)) throw new CorruptDataError(`${this.logPath} at ${b.position}: ${b.reason}`)
    return b
  }

  #noteMax (b: { baseOffset: bigint, maxTimestamp: bigint }): void {
    if (b.maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = b.maxTimestamp
      this.#offsetOfMax = b.baseOffset
    }
  }

  /**
   * Index bookkeeping for a batch written at `pos`, Kafka's rule: once more than an interval of
   * bytes went by since the last entry, index this batch, and add a time entry when the max
   * timestamp grew since the last one.
   */
  #track (b: { baseOffset: bigint, maxTimestamp: bigint, size: number }, pos: number): void {
    this.#noteMax(b)
    if (this.#bytesSinceIndex >= this.#indexIntervalBytes) {
      this.#offsetIndex.append(Number(b.baseOffset - this.baseOffset), pos)
      const lastTime = this.#timeIndex.last()
      if (this.#maxTimestamp > (lastTime?.ts ?? NO_TIMESTAMP)) {
        this.#timeIndex.append(this.#maxTimestamp, Number(this.#offsetOfMax - this.baseOffset))
      }
      this.#bytesSinceIndex = 0
    }
    this.#bytesSinceIndex += b.size
  }

  #writePendingIndexEntries (): void {
    if (this.#indexFd === null || this.#timeFd === null) return
    const at = this.#offsetIndex.persistedBytes
    const offsets = this.#offsetIndex.takePending()
    if (offsets.length > 0) writeFully(this.#indexFd, offsets, at)
    const tat = this.#timeIndex.persistedBytes
    const times = this.#timeIndex.takePending()
    if (times.length > 0) writeFully(this.#timeFd, times, tat)
  }

  /** Replaces both index files with the in-memory entries (after a rebuild). */
  #rewriteIndexes (): void {
    const wasActive = this.#indexFd !== null
    if (wasActive) {
      ftruncateSync(this.#indexFd as number, 0)
      ftruncateSync(this.#timeFd as number, 0)
    } else {
      this.#indexFd = openSync(this.indexPath, 'w+')
      this.#timeFd = openSync(this.timeIndexPath, 'w+')
    }
    this.#writePendingIndexEntries()
    if (!wasActive) {
      closeSync(this.#indexFd as number)
      closeSync(this.#timeFd as number)
      this.#indexFd = null
      this.#timeFd = null
    }
  }
}
