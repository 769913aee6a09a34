import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Registry } from 'prom-client'
import type { Clock, Timer } from '../common/clock.ts'
import { InvalidArgumentError, NotReadyError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { ServiceBase } from '../common/service.ts'
import { loadBlocks } from './block-loader.ts'
import { openBlock } from './block-reader.ts'
import type { BlockReader } from './block-reader.ts'
import type { BlockTracePiece, RowScanOptions, TraceScanOptions } from './block-search.ts'
import type { WriteBlockOptions } from './block-writer.ts'
import { TenantBlocks, storedBlock } from './block-set.ts'
import type { StoredBlock } from './block-set.ts'
import type { CompleteOp } from './completion-queue.ts'
import { CompletionQueue, completionBackoff } from './completion-queue.ts'
import type { BlockLifecycleConfig } from './config.ts'
import type { CutTrace } from './cut-trace.ts'
import type { BlockEncoder, SegmentResult } from './encoder.ts'
import type { Row } from './format/v1-rows.ts'
import { BLOCKS_DIR, QUARANTINE_DIR, WAL_DIR, completeParentPath, mkdirDurable, segmentName, tenantDirName } from './layout.ts'
import type { OffsetRange } from './meta.ts'
import { DATA_FILE } from './meta.ts'
import { CutReason, createBlockStoreMetrics } from './metrics.ts'
import type { BlockStoreMetrics, BlockType } from './metrics.ts'
import { moveToQuarantine } from './quarantine.ts'
import { Reclaimer } from './reclaimer.ts'
import { mergeBounded } from './search-merge.ts'

export interface BlockStoreOptions {
  /** `live_store.wal.path`. */
  root: string
  config: BlockLifecycleConfig & { complete_block_timeout: number }
  clock: Clock
  logger: Logger
  registry: Registry
  /** Owned by the caller: stop() does not close it. */
  encoder: BlockEncoder
  /** Default crypto.randomUUID (the simulator injects a seeded one). */
  newBlockId?: () => string
  /** Completion retry backoff: initial 30s, doubling up to 120s (tests shorten it). */
  completionBackoff?: { initialMs?: number, maxMs?: number }
  /** Completion attempts before a WAL block is given up on (default 10, as Tempo). */
  maxCompletionAttempts?: number
  /** Row-group and page sizes etc. of the blocks written (block-writer.ts defaults). */
  blockOptions?: WriteBlockOptions
}

export interface LoadReport {
  /** Partitions of every block loaded at start (complete and WAL). */
  partitionsWithData: Set<number>
  blocks: number
  quarantined: number
}

export interface BlockSearchOptions extends TraceScanOptions {
  /** Blocks read at once (default 2). */
  concurrency?: number
  /** The blocks to search (default: the tenant's current snapshot). */
  blocks?: readonly StoredBlock[]
  onBlockDone?: (block: StoredBlock) => void
}

/** A candidate trace's piece from one segment (head and WAL blocks) or complete block. */
export interface BlockSearchHit extends BlockTracePiece {
  block: StoredBlock
  reader: BlockReader
}

/** Newest first: the snapshot lists complete, WAL, head blocks, each oldest first. */
function newestFirst (blocks: readonly StoredBlock[]): StoredBlock[] {
  return [...blocks].reverse()
}

export interface BlockStoreStats { headBlocks: number, walBlocks: number, completeBlocks: number, bytes: number }

/** The mutable side of a head block: where its next segment goes and what decides its cut. */
interface HeadState {
  tenant: string
  partition: number
  blockId: string
  dir: string
  createdAtMs: number
  nextSeq: number
  dataBytes: number
  readers: BlockReader[]
}

/**
 * The block lifecycle of the WAL (tempo-behaviour.md §2.2–2.8): traces cut from memory are
 * flushed as segments of a per-(tenant, partition) head block; head blocks are cut into WAL
 * blocks by age or size; WAL blocks are merged into complete blocks by `complete_block_concurrency`
 * completion loops; blocks whose data ended `complete_block_timeout` ago leave the set and their
 * files are deleted `block_reclaim_grace` later. On start, the blocks on disk are loaded (damaged
 * ones quarantined) and every WAL block is queued for completion again.
 *
 * Reads (findTrace, blocks) use immutable per-tenant snapshots (block-set.ts); files and readers
 * of a block that left the set are released only after the grace (reclaimer.ts), so a read never
 * hits a closed reader or a missing file.
 */
export class BlockStore extends ServiceBase {
  readonly name = 'block-store'
  readonly #root: string
  readonly #config: BlockStoreOptions['config']
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #encoder: BlockEncoder
  readonly #newBlockId: () => string
  readonly #metrics: BlockStoreMetrics
  readonly #backoff: { initialMs: number, maxMs: number }
  readonly #maxAttempts: number
  readonly #blockOptions: WriteBlockOptions | undefined
  readonly #tenants = new Map<string, TenantBlocks>()
  readonly #heads = new Map<string, HeadState>()
  /** Per (tenant, partition): the tail of its serialized flushes and cuts. */
  readonly #chains = new Map<string, Promise<void>>()
  readonly #queue: CompletionQueue
  readonly #reclaimer: Reclaimer
  readonly #timers = new Set<Timer>()
  readonly #abort = new AbortController()
  #loops: Promise<void>[] = []
  #report: LoadReport | undefined

  constructor (opts: BlockStoreOptions) {
    super()
    this.#root = resolve(opts.root)
    this.#config = opts.config
    this.#clock = opts.clock
    this.#logger = opts.logger
    this.#encoder = opts.encoder
    this.#newBlockId = opts.newBlockId ?? randomUUID
    this.#metrics = createBlockStoreMetrics(opts.registry)
    this.#backoff = { initialMs: opts.completionBackoff?.initialMs ?? 30_000, maxMs: opts.completionBackoff?.maxMs ?? 120_000 }
    this.#maxAttempts = opts.maxCompletionAttempts ?? 10
    this.#blockOptions = opts.blockOptions
    this.#queue = new CompletionQueue((n) => this.#metrics.completeQueueLength.set(n))
    this.#reclaimer = new Reclaimer({
      clock: opts.clock,
      graceMs: opts.config.block_reclaim_grace,
      logger: opts.logger,
      onCleared: (type) => this.#metrics.blocksCleared.inc({ block_type: type }),
    })
  }

  protected async doStart (signal: AbortSignal): Promise<void> {
    await mkdir(this.#root, { recursive: true })
    for (const d of [WAL_DIR, BLOCKS_DIR, QUARANTINE_DIR]) await mkdirDurable(this.#root, d)
    const started = this.#clock.now()
    const loaded = await loadBlocks({ root: this.#root, logger: this.#logger, quarantine: (path, reason, type) => this.#quarantine(path, reason, type) })
    const partitions = new Set<number>()
    for (const b of loaded.complete) {
      this.#tenant(b.tenant).update({ add: [storedBlock('complete', b.dir, b.partition, [b.reader])] })
      partitions.add(b.partition)
    }
    for (const b of loaded.wal) {
      this.#tenant(b.tenant).update({ add: [storedBlock('wal', b.dir, b.partition, b.readers)] })
      this.#enqueue(b.tenant, b.blockId)
      partitions.add(b.partition)
    }
    this.#report = { partitionsWithData: partitions, blocks: loaded.complete.length + loaded.wal.length, quarantined: loaded.quarantined }
    this.#logger.info({ complete: loaded.complete.length, wal: loaded.wal.length, quarantined: loaded.quarantined, ms: this.#clock.now() - started }, 'loaded blocks')
    signal.throwIfAborted() // the readers just loaded are closed by doStop
    await this.deleteOldBlocks()
    for (let i = 0; i < this.#config.complete_block_concurrency; i++) this.#loops.push(this.#completionLoop())
    const reclaimEvery = Math.max(this.#config.block_reclaim_grace / 4, 1000)
    this.#timers.add(this.#clock.setInterval(() => { void this.#reclaimer.reclaim() }, reclaimEvery))
    this.#timers.add(this.#clock.setInterval(() => { void this.#retention() }, this.#config.flush_op_timeout))
  }

  protected async doStop (): Promise<void> {
    for (const t of this.#timers) t.cancel()
    this.#timers.clear()
    this.#abort.abort(new NotReadyError('block store is stopping'))
    this.#queue.clear()
    await Promise.all(this.#loops)
    await Promise.all([...this.#chains.values()])
    await this.#reclaimer.drain()
    const readers = [...this.#tenants.values()].flatMap((t) => t.snapshot().flatMap((b) => b.readers))
    this.#tenants.clear()
    this.#heads.clear()
    await Promise.all(readers.map((r) => r.close()))
  }

  /** What start loaded from disk (valid once start resolved). */
  loadReport (): LoadReport {
    if (this.#report === undefined) throw new NotReadyError('block store not started')
    return { ...this.#report, partitionsWithData: new Set(this.#report.partitionsWithData) }
  }

  /**
   * Writes `traces` as one new segment of the (tenant, partition) head block (creating the head
   * block if none) and resolves once it is durable (fsynced) and readable via findTrace. Calls
   * for one (tenant, partition) are serialized. `offsets` = Kafka offsets (inclusive) of the
   * records the traces came from.
   */
  flush (tenant: string, partition: number, traces: readonly CutTrace[], offsets: OffsetRange): Promise<SegmentResult> {
    if (this.state !== 'running') return Promise.reject(new NotReadyError(`block store is ${this.state}`))
    if (typeof tenant !== 'string' || tenant === '') return Promise.reject(new InvalidArgumentError('tenant must be a non-empty string'))
    if (!Number.isSafeInteger(partition) || partition < 0) return Promise.reject(new InvalidArgumentError(`invalid partition ${partition}`))
    if (traces.length === 0) return Promise.reject(new InvalidArgumentError('flush needs at least one trace'))
    return this.#serialize(tenant, partition, () => this.#flush(tenant, partition, traces, offsets))
  }

  /**
   * Tempo's cutBlocks for every head block: a non-empty head is cut into a WAL block when
   * `immediate`, or it is `max_block_duration` old, or its data reached `max_block_bytes`; the
   * WAL block is queued for completion. Counts `tempo_live_store_blocks_cut_total{reason}` once
   * per reason that applied.
   */
  async cutBlocks (immediate: boolean): Promise<void> {
    const heads = [...this.#heads.values()]
    await Promise.all(heads.map((h) => this.#serialize(h.tenant, h.partition, async () => this.#cut(h.tenant, h.partition, immediate))))
  }

  /** The pieces of this trace in every block of the tenant, one per block holding spans of it. */
  async findTrace (tenant: string, traceId: Buffer): Promise<TracesData[]> {
    if (this.state !== 'running') throw new NotReadyError(`block store is ${this.state}`)
    const blocks = this.blocks(tenant)
    const pieces = await Promise.all(blocks.map(async (b) => {
      const parts = await Promise.all(b.readers.map((r) => r.findTrace(traceId)))
      const found = parts.filter((p): p is TracesData => p !== null)
      if (found.length <= 1) return found[0] ?? null
      return { resourceSpans: found.flatMap((p) => p.resourceSpans) }
    }))
    return pieces.filter((p): p is TracesData => p !== null)
  }

  /**
   * Search over the tenant's blocks (`opts.blocks`, default the current snapshot): newest blocks
   * first (head, then WAL, then complete, each newest first; a block's segments newest first), up
   * to `concurrency` blocks read at once (default 2). Yields each candidate trace's piece per
   * segment or block (BlockReader.searchTraces); the same trace may come from several blocks.
   * `onBlockDone` is called as each block's scan ends.
   */
  searchBlocks (tenant: string, opts: BlockSearchOptions): AsyncGenerator<BlockSearchHit> {
    if (this.state !== 'running') throw new NotReadyError(`block store is ${this.state}`)
    const blocks = newestFirst(opts.blocks ?? this.blocks(tenant))
    const sources = blocks.map((block) => async function * (): AsyncGenerator<BlockSearchHit> {
      for (const reader of [...block.readers].reverse()) {
        for await (const piece of reader.searchTraces(opts)) yield { ...piece, block, reader }
      }
    })
    return mergeBounded(sources, opts.concurrency ?? 2, opts.signal, (i) => opts.onBlockDone?.(blocks[i]!))
  }

  /**
   * Rows of the tenant's blocks (tag names and values): BlockReader.scanRows over every segment
   * and block, newest first, up to `concurrency` blocks at once (default 2).
   */
  scanBlockRows (tenant: string, opts: RowScanOptions & { concurrency?: number, blocks?: readonly StoredBlock[] }): AsyncGenerator<Row[]> {
    if (this.state !== 'running') throw new NotReadyError(`block store is ${this.state}`)
    const blocks = newestFirst(opts.blocks ?? this.blocks(tenant))
    const sources = blocks.map((block) => async function * (): AsyncGenerator<Row[]> {
      for (const reader of [...block.readers].reverse()) yield * reader.scanRows(opts)
    })
    return mergeBounded(sources, opts.concurrency ?? 2, opts.signal)
  }

  /** Snapshot of the tenant's readable blocks: complete, then WAL, then head blocks. */
  blocks (tenant: string): readonly StoredBlock[] {
    return this.#tenants.get(tenant)?.snapshot() ?? []
  }

  /** Tenants with at least one block. */
  tenants (): string[] {
    return [...this.#tenants].filter(([, t]) => t.size > 0).map(([name]) => name)
  }

  /**
   * Retention: blocks (WAL or complete) whose meta endTime < now − complete_block_timeout leave
   * the block set at once; their files are deleted block_reclaim_grace later (readers closed then).
   */
  async deleteOldBlocks (): Promise<void> {
    const cutoffNs = BigInt(Math.floor(this.#clock.now() - this.#config.complete_block_timeout)) * 1_000_000n
    for (const [tenant, set] of this.#tenants) {
      const old = [...set.walBlocks(), ...set.completeBlocks()].filter((b) => b.meta.endTimeUnixNano < cutoffNs)
      if (old.length === 0) continue
      set.update({ remove: old })
      for (const b of old) {
        if (b.kind === 'wal') this.#logger.warn({ tenant, blockId: b.blockId }, 'WAL block aged out before it was completed')
        this.#reclaimer.add({ paths: [b.dir], readers: b.readers, blockType: b.kind === 'wal' ? 'wal' : 'complete' })
      }
      this.#logger.info({ tenant, blocks: old.length }, 'removed blocks past complete_block_timeout')
    }
  }

  /** Resolves when the completion queue is empty and no completion runs (a retry waiting for its backoff does not count). */
  idle (): Promise<void> {
    return this.#queue.idle()
  }

  stats (): BlockStoreStats {
    const out: BlockStoreStats = { headBlocks: 0, walBlocks: 0, completeBlocks: 0, bytes: 0 }
    for (const set of this.#tenants.values()) {
      const c = set.counts()
      out.headBlocks += c.head
      out.walBlocks += c.wal
      out.completeBlocks += c.complete
      for (const b of set.snapshot()) out.bytes += b.meta.sizeBytes
    }
    return out
  }

  async #flush (tenant: string, partition: number, traces: readonly CutTrace[], offsets: OffsetRange): Promise<SegmentResult> {
    const key = `${tenant}\0${partition}`
    let head = this.#heads.get(key)
    if (head === undefined) {
      const blockId = this.#newBlockId()
      const dir = await mkdirDurable(this.#root, WAL_DIR, tenantDirName(tenant), String(partition), blockId)
      head = { tenant, partition, blockId, dir, createdAtMs: this.#clock.now(), nextSeq: 1, dataBytes: 0, readers: [] }
      this.#heads.set(key, head)
    }
    // Taken before writing: a segment that was written but failed to open still owns its name.
    const name = segmentName(head.nextSeq++)
    const result = await this.#encoder.writeSegment({
      dir: head.dir,
      name,
      tenant,
      partition,
      blockId: head.blockId,
      traces,
      offsets,
      slackMs: this.#config.wal.ingestion_time_range_slack,
      nowMs: this.#clock.now(),
      ...(this.#blockOptions === undefined ? {} : { options: this.#blockOptions }),
    })
    const reader = await openBlock(join(head.dir, name))
    const set = this.#tenant(tenant)
    const previous = set.head(partition)
    head.readers = [...head.readers, reader]
    head.dataBytes += result.meta.files[DATA_FILE].size
    set.update({ remove: previous === undefined ? [] : [previous], add: [storedBlock('head', head.dir, partition, head.readers)] })
    return result
  }

  #cut (tenant: string, partition: number, immediate: boolean): void {
    const key = `${tenant}\0${partition}`
    const head = this.#heads.get(key)
    if (head === undefined || head.readers.length === 0) return
    const reasons: CutReason[] = []
    if (immediate) reasons.push(CutReason.immediate)
    if (this.#clock.now() - head.createdAtMs >= this.#config.max_block_duration) reasons.push(CutReason.maxBlockDuration)
    if (head.dataBytes >= this.#config.max_block_bytes) reasons.push(CutReason.maxBlockBytes)
    if (reasons.length === 0) return
    const set = this.#tenant(tenant)
    const current = set.head(partition)
    this.#heads.delete(key)
    set.update({ remove: current === undefined ? [] : [current], add: [storedBlock('wal', head.dir, partition, head.readers)] })
    for (const reason of reasons) this.#metrics.blocksCut.inc({ reason })
    this.#logger.debug({ tenant, partition, blockId: head.blockId, reasons, segments: head.readers.length }, 'cut head block')
    this.#enqueue(tenant, head.blockId)
  }

  #enqueue (tenant: string, blockId: string): void {
    this.#queue.push({ tenant, blockId, at: this.#clock.now(), attempts: 0 })
  }

  async #completionLoop (): Promise<void> {
    const signal = this.#abort.signal
    for (;;) {
      let op: CompleteOp
      try {
        op = await this.#queue.take(signal)
      } catch {
        return
      }
      try {
        await this.#completeOne(op)
      } finally {
        this.#queue.done()
      }
    }
  }

  /** One completion attempt (Tempo's completeBlock); a failure is retried after a backoff. */
  async #completeOne (op: CompleteOp): Promise<void> {
    const set = this.#tenants.get(op.tenant)
    const wal = set?.wal(op.blockId)
    if (set === undefined || wal === undefined) return // aged out meanwhile
    op.attempts++
    const started = this.#clock.now()
    const parent = completeParentPath(this.#root, op.tenant)
    const dir = join(parent, op.blockId)
    let reader: BlockReader | undefined
    try {
      // A previous attempt may have left the block behind (written, then failed to open).
      if (set.complete(op.blockId) === undefined) await rm(dir, { recursive: true, force: true })
      await mkdirDurable(this.#root, BLOCKS_DIR, tenantDirName(op.tenant))
      const meta = await this.#encoder.completeBlock({
        segments: wal.readers.map((r) => r.path),
        dir: parent,
        tenant: op.tenant,
        partition: wal.partition,
        blockId: op.blockId,
        nowMs: this.#clock.now(),
        ...(this.#blockOptions === undefined ? {} : { options: this.#blockOptions }),
      })
      reader = await openBlock(dir)
      if (set.wal(op.blockId) !== wal || this.#tenants.get(op.tenant) !== set) {
        // Aged out (or the store stopped) while completing: the new block is not wanted.
        await reader.close()
        await rm(dir, { recursive: true, force: true })
        return
      }
      set.update({ remove: [wal], add: [storedBlock('complete', dir, wal.partition, [reader])] })
      this.#reclaimer.add({ paths: [wal.dir], readers: wal.readers, blockType: 'wal' })
      this.#metrics.blocksCompleted.inc()
      this.#metrics.completionDuration.observe((this.#clock.now() - started) / 1000)
      this.#metrics.completionSize.observe(meta.sizeBytes)
      this.#logger.debug({ tenant: op.tenant, blockId: op.blockId, spans: meta.spanCount, bytes: meta.sizeBytes }, 'completed WAL block')
    } catch (err) {
      await reader?.close().catch(() => undefined)
      this.#retry(op, err)
    }
  }

  #retry (op: CompleteOp, err: unknown): void {
    if (this.#abort.signal.aborted) return // shutdown: found on disk again at the next start
    if (op.attempts >= this.#maxAttempts) {
      this.#metrics.failedCompletions.inc()
      this.#logger.error({ err, tenant: op.tenant, blockId: op.blockId, attempts: op.attempts }, 'giving up completing a WAL block; it stays readable until it ages out')
      return
    }
    const delay = completionBackoff(op.attempts, this.#backoff.initialMs, this.#backoff.maxMs)
    this.#metrics.completionRetries.inc()
    this.#logger.warn({ err, tenant: op.tenant, blockId: op.blockId, attempts: op.attempts, retryInMs: delay }, 'completing a WAL block failed; retrying')
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer)
      this.#queue.push(op)
    }, delay)
    this.#timers.add(timer)
  }

  async #retention (): Promise<void> {
    try {
      await this.deleteOldBlocks()
    } catch (err) {
      this.#logger.error({ err }, 'retention pass failed')
    }
  }

  async #quarantine (path: string, reason: string, type: BlockType): Promise<void> {
    const target = await moveToQuarantine(this.#root, path, this.#clock.now())
    this.#metrics.quarantined.inc({ block_type: type })
    this.#logger.error({ path, quarantinedAs: target, reason, blockType: type }, 'damaged block moved to quarantine')
  }

  #tenant (tenant: string): TenantBlocks {
    let set = this.#tenants.get(tenant)
    if (set === undefined) this.#tenants.set(tenant, set = new TenantBlocks())
    return set
  }

  #serialize<T> (tenant: string, partition: number, fn: () => Promise<T>): Promise<T> {
    const key = `${tenant}\0${partition}`
    const run = (this.#chains.get(key) ?? Promise.resolve()).then(fn)
    const tail = run.then(() => undefined, () => undefined)
    this.#chains.set(key, tail)
    void tail.then(() => { if (this.#chains.get(key) === tail) this.#chains.delete(key) })
    return run
  }
}
