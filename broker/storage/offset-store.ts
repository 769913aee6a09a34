/**
 * Committed consumer-group offsets, durable. An append-only log of CRC-framed records
 * (offset-record.ts) replayed into memory on open; a torn tail (crash mid-write) is cut off.
 * Commits write synchronously and resolve after a group-committed fdatasync, like partition
 * appends. When the log holds many times more entries than are live, it is rewritten atomically
 * with only the live ones.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describeError, InvalidArgumentError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { StorageClosedError, StorageIOError } from './errors.ts'
import { fdatasyncAsync, fsyncDir, writeFileAtomic, writeFully } from './fs-util.ts'
import { GroupCommit } from './group-commit.ts'
import { decodeRecord, encodeRecord } from './offset-record.ts'
import type { OffsetRecord, StoredEntry } from './offset-record.ts'

export const OFFSETS_FILE = 'committed-offsets.log'
/** Entries per record when compacting (keeps records far below MAX_RECORD_BYTES). */
const COMPACT_CHUNK = 500

export interface OffsetCommitEntry {
  topic: string
  partition: number
  offset: bigint
  metadata: string | null
  commitTimestamp: number
}

export interface CommittedOffset { offset: bigint, metadata: string | null, commitTimestamp: number }

export interface OffsetStoreOptions {
  dataDir: string
  logger: Logger
  /** Compact when the log holds more than this many times the live entries (default 4). */
  compactionFactor?: number
  /** ...and more than this many entries in total (default 10,000), so small logs stay put. */
  compactionMinEntries?: number
  /** Called after every fdatasync of the log. */
  onFsync?: () => void
}

type Groups = Map<string, Map<string, Map<number, CommittedOffset>>>

export class OffsetStore {
  readonly path: string
  readonly #logger: Logger
  readonly #groups: Groups = new Map()
  readonly #commit: GroupCommit
  readonly #factor: number
  readonly #minEntries: number
  readonly #onFsync: (() => void) | undefined
  #fd: number
  #size: number
  /** Entries (and tombstones) in the file, live or not. */
  #logEntries = 0
  #live = 0
  #failed: StorageIOError | null = null
  #closed = false

  private constructor (opts: OffsetStoreOptions, path: string, fd: number, size: number) {
    this.path = path
    this.#logger = opts.logger
    this.#fd = fd
    this.#size = size
    this.#factor = opts.compactionFactor ?? 4
    this.#minEntries = opts.compactionMinEntries ?? 10_000
    this.#onFsync = opts.onFsync
    this.#commit = new GroupCommit(() => this.#sync())
  }

  /** Opens (creating if needed) the store, replaying the log and cutting any torn tail. */
  static async open (opts: OffsetStoreOptions): Promise<OffsetStore> {
    mkdirSync(opts.dataDir, { recursive: true })
    const path = join(opts.dataDir, OFFSETS_FILE)
    const created = !existsSync(path)
    const rw = openSync(path, created ? 'w+' : 'r+')
    // The file's directory entry must survive a crash too, not just its data.
    if (created) fsyncDir(opts.dataDir)
    const bytes = readFileSync(path)
    const store = new OffsetStore(opts, path, rw, fstatSync(rw).size)
    let at = 0
    while (at < bytes.length) {
      const r = decodeRecord(bytes, at)
      if ('problem' in r) {
        opts.logger.warn({ path, truncatedBytes: bytes.length - at, validBytes: at, reason: r.problem }, 'truncated torn committed-offset log tail')
        ftruncateSync(rw, at)
        store.#size = at
        break
      }
      store.#apply(r.record)
      at += r.size
    }
    return store
  }

  /** Records `entries` for `groupId`; resolves once they are on disk (visible to fetch at once). */
  async commit (groupId: string, entries: OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return
    for (const e of entries) {
      if (!Number.isInteger(e.partition) || e.partition < 0) throw new InvalidArgumentError(`invalid partition ${e.partition} for ${e.topic}`)
    }
    const stored: StoredEntry[] = entries.map((e) => [e.topic, e.partition, e.offset.toString(), e.metadata, e.commitTimestamp])
    await this.#write({ k: 'commit', g: groupId, e: stored })
  }

  fetch (groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    const c = this.#groups.get(groupId)?.get(topic)?.get(partition)
    return c === undefined ? undefined : { ...c }
  }

  /** Every committed offset of the group. */
  groupOffsets (groupId: string): OffsetCommitEntry[] {
    const out: OffsetCommitEntry[] = []
    for (const [topic, parts] of this.#groups.get(groupId) ?? []) {
      for (const [partition, c] of parts) out.push({ topic, partition, ...c })
    }
    return out
  }

  /** Groups with at least one committed offset. */
  groups (): string[] { return [...this.#groups.keys()] }

  /** Forgets every group's offsets for `topic` (the topic was deleted). */
  async deleteTopic (topic: string): Promise<void> {
    if (![...this.#groups.values()].some((g) => g.has(topic))) return
    await this.#write({ k: 'deleteTopic', t: topic })
  }

  /** Forgets all offsets of `groupId`. */
  async deleteGroup (groupId: string): Promise<void> {
    if (!this.#groups.has(groupId)) return
    await this.#write({ k: 'deleteGroup', g: groupId })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#commit.flush()
      await this.#commit.idle()
    } finally {
      closeSync(this.#fd)
    }
  }

  async #write (record: OffsetRecord): Promise<void> {
    if (this.#closed) throw new StorageClosedError('offset store is closed')
    if (this.#failed !== null) throw this.#failed
    const buf = encodeRecord(record)
    try {
      writeFully(this.#fd, buf, this.#size)
    } catch (err) {
      try { ftruncateSync(this.#fd, this.#size) } catch { /* report the write error */ }
      throw new StorageIOError(`writing ${this.path} failed`, { cause: err })
    }
    this.#size += buf.length
    this.#apply(record)
    const ticket = this.#commit.wrote()
    this.#maybeCompact()
    await this.#commit.waitFor(ticket)
  }

  #apply (rec: OffsetRecord): void {
    if (rec.k === 'commit') {
      let topics = this.#groups.get(rec.g)
      if (topics === undefined) this.#groups.set(rec.g, topics = new Map())
      for (const [topic, partition, offset, metadata, commitTimestamp] of rec.e) {
        let parts = topics.get(topic)
        if (parts === undefined) topics.set(topic, parts = new Map())
        if (!parts.has(partition)) this.#live++
        parts.set(partition, { offset: BigInt(offset), metadata, commitTimestamp })
      }
      this.#logEntries += rec.e.length
      return
    }
    this.#logEntries++
    if (rec.k === 'deleteGroup') {
      for (const parts of this.#groups.get(rec.g)?.values() ?? []) this.#live -= parts.size
      this.#groups.delete(rec.g)
      return
    }
    for (const [group, topics] of this.#groups) {
      this.#live -= topics.get(rec.t)?.size ?? 0
      topics.delete(rec.t)
      if (topics.size === 0) this.#groups.delete(group)
    }
  }

  /** Rewrites the log with only live entries once it is mostly dead weight. */
  #maybeCompact (): void {
    if (this.#logEntries <= this.#minEntries || this.#logEntries <= this.#factor * this.#live) return
    const records: Buffer[] = []
    for (const [g, topics] of this.#groups) {
      const entries: StoredEntry[] = []
      for (const [topic, parts] of topics) {
        for (const [p, c] of parts) entries.push([topic, p, c.offset.toString(), c.metadata, c.commitTimestamp])
      }
      for (let i = 0; i < entries.length; i += COMPACT_CHUNK) records.push(encodeRecord({ k: 'commit', g, e: entries.slice(i, i + COMPACT_CHUNK) }))
    }
    const data = Buffer.concat(records)
    const before = this.#size
    try {
      // The new file is fsynced before the rename, so it covers every write made so far.
      writeFileAtomic(this.path, data)
    } catch (err) {
      this.#logger.warn({ path: this.path, err: describeError(err) }, 'compacting the committed-offset log failed; keeping the old one')
      return
    }
    const old = this.#fd
    this.#fd = openSync(this.path, 'r+')
    this.#size = data.length
    this.#logEntries = this.#live
    // An fdatasync of the old fd may be running: close it only when none is.
    void this.#commit.idle().then(() => { closeSync(old) })
    this.#logger.info({ path: this.path, bytesBefore: before, bytesAfter: data.length, liveEntries: this.#live }, 'compacted committed-offset log')
  }

  async #sync (): Promise<void> {
    try {
      await fdatasyncAsync(this.#fd)
    } catch (err) {
      this.#failed ??= new StorageIOError(`fsync of ${this.path} failed; the offset store refuses writes until reopened`, { cause: err })
      this.#logger.error({ path: this.path, err: describeError(err) }, 'offset store failed')
      throw this.#failed
    }
    this.#onFsync?.()
  }
}
