/**
 * All partition logs of the broker plus the topic list. `<dataDir>/topics.json` is the source of
 * truth for which topics exist; it is replaced atomically (tmp + fsync + rename + dir fsync), so
 * a crash leaves the old or the new list. Partition directories not named by it (a create or a
 * delete interrupted half-way) are removed on open.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import { resolveStorageConfig } from './config.ts'
import type { StorageConfig } from './config.ts'
import { CorruptDataError, InvalidPartitionsError, InvalidTopicError, StorageClosedError, TopicAlreadyExistsError, UnknownTopicError } from './errors.ts'
import { writeFileAtomic } from './fs-util.ts'
import { PartitionLog, partitionDir } from './partition-log.ts'
import { collisionKey, topicNameProblem } from './topic-name.ts'

export const TOPICS_FILE = 'topics.json'
/** Each partition keeps a few fds open; this bounds what one CreateTopics can ask for. */
export const MAX_PARTITIONS = 1000

export interface TopicInfo { name: string, partitions: number }

export interface LogManagerOptions {
  dataDir: string
  clock: Clock
  logger: Logger
  config?: Partial<StorageConfig>
  /** Called after every fdatasync of any partition log. */
  onFsync?: (info: { topic: string, partition: number, durationMs: number }) => void
}

interface TopicEntry { info: TopicInfo, logs: PartitionLog[] }

export class LogManager {
  readonly dataDir: string
  readonly #opts: LogManagerOptions
  readonly #config: StorageConfig
  readonly #logger: Logger
  readonly #topics = new Map<string, TopicEntry>()
  /** Serializes createTopic/deleteTopic so topics.json writes never race. */
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  private constructor (opts: LogManagerOptions, config: StorageConfig) {
    this.dataDir = opts.dataDir
    this.#opts = opts
    this.#config = config
    this.#logger = opts.logger
  }

  /** Reads topics.json, removes stray partition directories and opens every partition concurrently. */
  static async open (opts: LogManagerOptions): Promise<LogManager> {
    const mgr = new LogManager(opts, resolveStorageConfig(opts.config))
    const listed = readTopicsFile(opts.dataDir)
    mgr.#removeStrayDirectories(listed)
    const entries = await Promise.all(listed.map(async (info) => ({ info, logs: await mgr.#openLogs(info) })))
    for (const e of entries) mgr.#topics.set(e.info.name, e)
    opts.logger.info({ dataDir: opts.dataDir, topics: listed.length, partitions: listed.reduce((n, t) => n + t.partitions, 0) }, 'storage opened')
    return mgr
  }

  topic (name: string): TopicInfo | undefined {
    const e = this.#topics.get(name)
    return e === undefined ? undefined : { ...e.info }
  }

  topics (): TopicInfo[] { return [...this.#topics.values()].map((e) => ({ ...e.info })) }

  partition (topic: string, partition: number): PartitionLog | undefined {
    return this.#topics.get(topic)?.logs[partition]
  }

  /**
   * Creates a topic: validates, records it in topics.json, then opens its partitions. Throws
   * InvalidTopicError, InvalidPartitionsError or TopicAlreadyExistsError.
   */
  createTopic (name: string, partitions: number): Promise<TopicInfo> {
    return this.#serialized(async () => {
      this.#checkOpen()
      const problem = topicNameProblem(name)
      if (problem !== null) throw new InvalidTopicError(problem)
      if (this.#topics.has(name)) throw new TopicAlreadyExistsError(`topic ${name} already exists`)
      const key = collisionKey(name)
      const clash = [...this.#topics.keys()].find((t) => collisionKey(t) === key)
      if (clash !== undefined) throw new InvalidTopicError(`topic ${name} collides with existing topic ${clash} ('.' and '_' are interchangeable)`)
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
        throw new InvalidPartitionsError(`partition count must be an integer in [1, ${MAX_PARTITIONS}], got ${partitions}`)
      }
      const info = { name, partitions }
      // Anything on disk under this name is a leftover: the topic does not exist.
      for (let p = 0; p < partitions; p++) rmSync(partitionDir(this.dataDir, name, p), { recursive: true, force: true })
      this.#writeTopicsFile([...this.#topics.values()].map((e) => e.info).concat(info))
      let logs: PartitionLog[]
      try {
        logs = await this.#openLogs(info)
      } catch (err) {
        this.#writeTopicsFile([...this.#topics.values()].map((e) => e.info))
        throw err
      }
      this.#topics.set(name, { info, logs })
      this.#logger.info({ topic: name, partitions }, 'topic created')
      return { ...info }
    })
  }

  /** Deletes a topic: gone from lookups and topics.json first, then its logs are closed and removed. */
  deleteTopic (name: string): Promise<void> {
    return this.#serialized(async () => {
      this.#checkOpen()
      const entry = this.#topics.get(name)
      if (entry === undefined) throw new UnknownTopicError(`topic ${name} does not exist`)
      this.#topics.delete(name)
      this.#writeTopicsFile([...this.#topics.values()].map((e) => e.info))
      const closes = await Promise.allSettled(entry.logs.map((log) => log.close()))
      for (const c of closes) {
        if (c.status === 'rejected') this.#logger.warn({ topic: name, err: String(c.reason) }, 'closing a deleted partition failed')
      }
      for (let p = 0; p < entry.info.partitions; p++) rmSync(partitionDir(this.dataDir, name, p), { recursive: true, force: true })
      this.#logger.info({ topic: name }, 'topic deleted')
    })
  }

  /** Applies retention to every partition; returns how many segments were deleted. */
  runRetention (): number {
    if (this.#closed) return 0
    const now = this.#opts.clock.now()
    let deleted = 0
    for (const e of this.#topics.values()) {
      for (const log of e.logs) deleted += log.enforceRetention(now)
    }
    return deleted
  }

  /** Flushes and closes every partition (each leaves its clean-shutdown marker). */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#queue.catch(() => undefined)
    const all = [...this.#topics.values()].flatMap((e) => e.logs)
    const results = await Promise.allSettled(all.map((log) => log.close()))
    const failed = results.filter((r) => r.status === 'rejected')
    if (failed.length > 0) throw new AggregateError(failed.map((r) => r.reason), `${failed.length} partition logs failed to close`)
  }

  #openLogs (info: TopicInfo): Promise<PartitionLog[]> {
    const onFsync = this.#opts.onFsync
    return Promise.all(Array.from({ length: info.partitions }, (_, partition) => PartitionLog.open({
      dir: this.dataDir,
      topic: info.name,
      partition,
      clock: this.#opts.clock,
      logger: this.#logger,
      config: this.#config,
      ...(onFsync === undefined ? {} : { onFsync: ({ durationMs }: { durationMs: number }) => { onFsync({ topic: info.name, partition, durationMs }) } }),
    })))
  }

  #writeTopicsFile (topics: TopicInfo[]): void {
    const body = { version: 1, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions })) }
    writeFileAtomic(join(this.dataDir, TOPICS_FILE), Buffer.from(JSON.stringify(body, null, 2) + '\n'))
  }

  #removeStrayDirectories (topics: TopicInfo[]): void {
    const wanted = new Set(topics.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}-${p}`)))
    for (const name of readdirSync(this.dataDir)) {
      const m = /^(.+)-(\d+)$/.exec(name)
      if (m === null || topicNameProblem(m[1] as string) !== null || wanted.has(name)) continue
      const path = join(this.dataDir, name)
      if (!statSync(path).isDirectory()) continue
      rmSync(path, { recursive: true, force: true })
      this.#logger.warn({ dir: path }, 'removed partition directory of a topic not in topics.json')
    }
  }

  #serialized<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => undefined)
    return run
  }

  #checkOpen (): void {
    if (this.#closed) throw new StorageClosedError('storage is closed')
  }
}

/** The topic list on disk (empty when the file does not exist yet). */
function readTopicsFile (dataDir: string): TopicInfo[] {
  const path = join(dataDir, TOPICS_FILE)
  if (!existsSync(path)) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new CorruptDataError(`${path} is not valid JSON`, { cause: err })
  }
  const topics = (parsed as { topics?: unknown }).topics
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(topics)) throw new CorruptDataError(`${path} has no topics array`)
  return topics.map((t: unknown, i) => {
    const { name, partitions } = (t ?? {}) as { name?: unknown, partitions?: unknown }
    if (typeof name !== 'string' || topicNameProblem(name) !== null || typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1) {
      throw new CorruptDataError(`${path}: entry ${i} is not a valid topic`)
    }
    return { name, partitions }
  })
}
