/**
 * The log of one topic-partition: Kafka-style segments under `<dataDir>/<topic>-<partition>/`.
 *
 * Appends write synchronously into the page cache (event-loop order, so batches never
 * interleave) and then, under fsync 'always', share a group-committed fdatasync. With a single
 * replica the high watermark is the log end offset: it moves as soon as the write is in the OS.
 */
import { existsSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Clock, Timer } from '../../common/clock.ts'
import { describeError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { checkAppendFraming, writeBaseOffset } from './batch-header.ts'
import type { BatchHeader } from './batch-header.ts'
import { resolveStorageConfig } from './config.ts'
import type { StorageConfig } from './config.ts'
import { InvalidBatchError, StorageClosedError, StorageIOError } from './errors.ts'
import { fdatasyncAsync, fsyncDir } from './fs-util.ts'
import { GroupCommit } from './group-commit.ts'
import { loadSegments } from './log-loader.ts'
import { NO_TIMESTAMP, Segment } from './segment.ts'

/** Present only between a clean close and the next open. */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'

/** Reads buffer at most this much per step; bigger fetches read in several steps. */
const READ_CHUNK_LIMIT = 4 * 1024 * 1024
/** Room for the scan from the index entry before the wanted offset. */
const INDEX_SLACK = 16 * 1024

/** Relative offsets in the index files are int32. */
const MAX_RELATIVE_OFFSET = 0x7fffffffn

export interface PartitionLogOptions {
  /** The data directory; the partition lives in `<dir>/<topic>-<partition>/`. */
  dir: string
  topic: string
  partition: number
  clock: Clock
  logger: Logger
  config?: Partial<StorageConfig>
  /** Called after every completed fdatasync of the log (metrics, tests). */
  onFsync?: (info: { durationMs: number }) => void
}

export interface AppendResult { baseOffset: bigint, lastOffset: bigint, logStartOffset: bigint }

export type ReadResult =
  | { records: Buffer, highWatermark: bigint, logStartOffset: bigint }
  | { error: 'offset_out_of_range', highWatermark: bigint, logStartOffset: bigint }

export function partitionDir (dataDir: string, topic: string, partition: number): string {
  return join(dataDir, `${topic}-${partition}`)
}

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  readonly dir: string
  readonly #config: StorageConfig
  readonly #logger: Logger
  readonly #segments: Segment[]
  readonly #commit: GroupCommit
  readonly #listeners = new Set<() => void>()
  readonly #onFsync: ((info: { durationMs: number }) => void) | undefined
  readonly #timer: Timer | null
  #fsyncCount = 0
  #failed: StorageIOError | null = null
  #closed = false

  private constructor (opts: PartitionLogOptions, dir: string, config: StorageConfig, segments: Segment[]) {
    this.topic = opts.topic
    this.partition = opts.partition
    this.dir = dir
    this.#config = config
    this.#logger = opts.logger
    this.#segments = segments
    this.#onFsync = opts.onFsync
    this.#commit = new GroupCommit(() => this.#sync())
    this.#timer = config.fsync === 'interval'
      ? opts.clock.setInterval(() => { this.#intervalFlush() }, config.fsyncIntervalMs)
      : null
  }

  /** Opens (creating if needed) and recovers the partition's log. */
  static async open (opts: PartitionLogOptions): Promise<PartitionLog> {
    const config = resolveStorageConfig(opts.config)
    const dir = partitionDir(opts.dir, opts.topic, opts.partition)
    const logger = opts.logger
    const marker = join(dir, CLEAN_SHUTDOWN_FILE)
    const clean = existsSync(marker)
    const segments = loadSegments({ dir, indexIntervalBytes: config.indexIntervalBytes, clean, logger })
    if (clean) {
      // Durably gone before any write, so a crash from here on is recovered as unclean.
      unlinkSync(marker)
      fsyncDir(dir)
    }
    const log = new PartitionLog(opts, dir, config, segments)
    logger.debug({ dir, clean, segments: segments.length, logStartOffset: log.logStartOffset.toString(), logEndOffset: log.logEndOffset.toString() }, 'partition log opened')
    return log
  }

  get logStartOffset (): bigint { return (this.#segments[0] as Segment).baseOffset }
  get logEndOffset (): bigint { return this.#active.nextOffset }
  /** Single replica: everything in the OS is committed. */
  get highWatermark (): bigint { return this.logEndOffset }
  get sizeBytes (): number { return this.#segments.reduce((n, s) => n + s.size, 0) }
  get segmentCount (): number { return this.#segments.length }
  /** Completed fdatasyncs of the log (group commit makes this far below the append count). */
  get fsyncCount (): number { return this.#fsyncCount }

  /**
   * Appends already CRC-validated RecordBatch v2 batches, assigning contiguous offsets by
   * rewriting each batch's baseOffset in place. Under fsync 'always' with `durable`, resolves
   * only after an fdatasync covering the write.
   */
  async append (batches: Buffer[], opts: { durable: boolean }): Promise<AppendResult> {
    this.#checkWritable()
    if (batches.length === 0) throw new InvalidBatchError('append needs at least one batch')
    const headers = batches.map((b, i) => checkAppendFraming(b, i))
    const baseOffset = this.logEndOffset
    let written = 0
    try {
      batches.forEach((batch, i) => {
        const h = headers[i] as BatchHeader
        const offset = this.logEndOffset
        if (this.#shouldRoll(batch.length, h.lastOffsetDelta)) this.#roll()
        writeBaseOffset(batch, offset)
        this.#active.append(batch, { baseOffset: offset, lastOffsetDelta: h.lastOffsetDelta, maxTimestamp: h.maxTimestamp })
        written++
      })
    } catch (err) {
      if (written > 0) this.#notify()
      throw err instanceof StorageIOError ? err : new StorageIOError(`append to ${this.dir} failed after ${written} of ${batches.length} batches`, { cause: err })
    }
    const ticket = this.#commit.wrote()
    this.#notify()
    if (this.#config.fsync === 'always') {
      const synced = this.#commit.waitFor(ticket)
      if (opts.durable) await synced
      else synced.catch(() => { /* #sync already recorded and logged the failure */ })
    }
    return { baseOffset, lastOffset: this.logEndOffset - 1n, logStartOffset: this.logStartOffset }
  }

  /**
   * Whole batches starting with the one containing `offset`, up to `maxBytes` but always at
   * least one (KIP-74). Empty at the log end; out of range below the start or past the end.
   */
  read (offset: bigint, maxBytes: number): ReadResult {
    this.#checkOpen()
    const highWatermark = this.highWatermark
    const logStartOffset = this.logStartOffset
    if (offset < logStartOffset || offset > highWatermark) return { error: 'offset_out_of_range', highWatermark, logStartOffset }
    const parts: Buffer[] = []
    let total = 0
    let full = false
    // Read in chunks as big as the budget, so the scan that finds the batches also holds them.
    const chunk = Math.min(Math.max(maxBytes, 0), READ_CHUNK_LIMIT) + INDEX_SLACK
    for (let i = this.#segmentFor(offset); i < this.#segments.length && !full; i++) {
      const seg = this.#segments[i] as Segment
      let scanner
      let batch
      if (total === 0) {
        // Not found here means `offset` fell in a gap: the next segment's first batch follows.
        const found = seg.find(offset, chunk)
        if (found === null) continue
        batch = found.batch
        scanner = found.scanner
      } else {
        scanner = seg.scanner(chunk)
        batch = seg.batchAt(scanner, 0)
      }
      const start = batch?.position ?? 0
      let end = start
      while (batch !== null) {
        if (total > 0 && total + batch.size > maxBytes) { full = true; break }
        total += batch.size
        end = batch.position + batch.size
        batch = seg.batchAt(scanner, end)
      }
      // A view of the scanner's buffer is safe: each scanner serves this one read only.
      if (end > start) parts.push(scanner.view(start, end - start))
    }
    const records = parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts)
    return { records, highWatermark, logStartOffset }
  }

  /** The base offset of the first batch whose maxTimestamp ≥ `ts`; null when none (answer the log end). */
  offsetForTimestamp (ts: bigint): bigint | null {
    return this.#findByTimestamp(ts)?.batch.baseOffset ?? null
  }

  /** The first batch whose maxTimestamp ≥ `ts`, so the caller can decode it and pick the exact record. */
  batchAtOrAfterTimestamp (ts: bigint): { batch: Buffer, baseOffset: bigint } | null {
    const found = this.#findByTimestamp(ts)
    if (found === null) return null
    const { seg, batch } = found
    return { batch: seg.read(batch.position, batch.position + batch.size), baseOffset: batch.baseOffset }
  }

  /** Calls `listener` after every append (Fetch long-poll wake-ups); returns the unsubscribe. */
  subscribe (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /**
   * Deletes whole non-active segments from the start of the log: those whose newest timestamp
   * is older than retentionMs, then oldest ones while the rest still holds retentionBytes
   * (Kafka's rule: the partition never drops below retention.bytes). Returns how many went.
   */
  enforceRetention (nowMs: number): number {
    if (this.#closed) return 0
    const { retentionMs, retentionBytes } = this.#config
    let deleted = 0
    const cutoff = BigInt(nowMs - retentionMs)
    while (retentionMs >= 0 && this.#segments.length > 1) {
      const oldest = this.#segments[0] as Segment
      if (oldest.maxTimestamp === NO_TIMESTAMP || oldest.maxTimestamp >= cutoff) break
      this.#deleteOldest('age')
      deleted++
    }
    let size = this.sizeBytes
    while (retentionBytes >= 0 && this.#segments.length > 1) {
      const oldest = this.#segments[0] as Segment
      if (size - oldest.size < retentionBytes) break
      size -= oldest.size
      this.#deleteOldest('size')
      deleted++
    }
    return deleted
  }

  /** fdatasyncs everything appended so far (the active segment; rolled ones were synced at roll). */
  async flush (): Promise<void> {
    if (this.#closed) return
    await this.#commit.flush()
  }

  /** Syncs, closes every fd and leaves the clean-shutdown marker (unless the disk failed). */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#timer?.cancel()
    let error: unknown = null
    try {
      await this.#commit.flush()
      await this.#commit.idle()
      this.#active.seal(true)
    } catch (err) {
      error = err
    }
    for (const seg of this.#segments) {
      try { seg.close() } catch (err) { error ??= err }
    }
    if (error === null && this.#failed === null) {
      writeFileSync(join(this.dir, CLEAN_SHUTDOWN_FILE), '')
      fsyncDir(this.dir)
    } else {
      this.#logger.error({ dir: this.dir, err: describeError(error ?? this.#failed) }, 'partition log closed uncleanly')
    }
    if (error !== null) throw error
  }

  get #active (): Segment { return this.#segments[this.#segments.length - 1] as Segment }

  #checkOpen (): void {
    if (this.#closed) throw new StorageClosedError(`partition log ${this.dir} is closed`)
  }

  #checkWritable (): void {
    this.#checkOpen()
    if (this.#failed !== null) throw this.#failed
  }

  #shouldRoll (bytes: number, lastOffsetDelta: number): boolean {
    const active = this.#active
    if (active.size === 0) return false
    if (active.size + bytes > this.#config.segmentBytes) return true
    return active.nextOffset + BigInt(lastOffsetDelta) - active.baseOffset > MAX_RELATIVE_OFFSET
  }

  #roll (): void {
    const old = this.#active
    try {
      // Sync the finished segment once so recovery only ever needs to look at the last one.
      old.seal(this.#config.fsync !== 'never')
    } catch (err) {
      this.#fail(err)
      throw this.#failed
    }
    let next: Segment
    try {
      next = Segment.create(this.dir, old.nextOffset, this.#config.indexIntervalBytes)
    } catch (err) {
      old.activate()
      throw new StorageIOError(`cannot create segment ${old.nextOffset} in ${this.dir}`, { cause: err })
    }
    this.#segments.push(next)
    if (this.#config.fsync !== 'never') fsyncDir(this.dir)
    this.#logger.debug({ dir: this.dir, baseOffset: next.baseOffset.toString() }, 'rolled segment')
  }

  #deleteOldest (why: 'age' | 'size'): void {
    const seg = this.#segments.shift() as Segment
    seg.deleteFiles()
    // A group-commit fdatasync may still hold this fd: close only when none is running.
    if (this.#commit.running) void this.#commit.idle().then(() => { seg.close() })
    else seg.close()
    this.#logger.info({ dir: this.dir, segment: seg.logPath, why, logStartOffset: this.logStartOffset.toString() }, 'retention deleted segment')
  }

  /** Binary search: the last segment whose base offset is ≤ `offset` (0 if none). */
  #segmentFor (offset: bigint): number {
    let lo = 0
    let hi = this.#segments.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#segments[mid] as Segment).baseOffset <= offset) { found = mid; lo = mid + 1 } else hi = mid - 1
    }
    return found
  }

  #findByTimestamp (ts: bigint): { seg: Segment, batch: { position: number, size: number, baseOffset: bigint } } | null {
    this.#checkOpen()
    for (const seg of this.#segments) {
      const found = seg.findByTimestamp(ts)
      if (found !== null) return { seg, batch: found.batch }
    }
    return null
  }

  #notify (): void {
    for (const listener of [...this.#listeners]) {
      try { listener() } catch (err) {
        this.#logger.error({ dir: this.dir, err: describeError(err) }, 'append listener threw')
      }
    }
  }

  async #sync (): Promise<void> {
    const fd = this.#active.logFd
    const start = performance.now()
    try {
      await fdatasyncAsync(fd)
    } catch (err) {
      this.#fail(err)
      throw this.#failed
    }
    this.#fsyncCount++
    this.#onFsync?.({ durationMs: performance.now() - start })
  }

  #intervalFlush (): void {
    if (!this.#commit.dirty || this.#commit.running || this.#closed) return
    this.#commit.flush().catch(() => { /* recorded by #sync */ })
  }

  #fail (err: unknown): void {
    if (this.#failed !== null) return
    this.#failed = new StorageIOError(`fsync of ${this.dir} failed; the log refuses writes until reopened`, { cause: err })
    this.#logger.error({ dir: this.dir, err: describeError(err) }, 'partition log failed')
  }
}
