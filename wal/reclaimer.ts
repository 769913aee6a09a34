import { rm } from 'node:fs/promises'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { BlockReader } from './block-reader.ts'
import type { BlockType } from './metrics.ts'

/**
 * Delayed deletion of blocks that left the block set (Tempo's `quarantine.go`, with the clock
 * injected): a query that took a snapshot of the set before the block left it may still be
 * reading, so the readers are closed and the files deleted only `graceMs` later. The caller runs
 * `reclaim()` on a ticker.
 */
export interface ReclaimEntry {
  /** Directories to delete. */
  paths: readonly string[]
  readers: readonly BlockReader[]
  blockType: BlockType
}

interface Pending extends ReclaimEntry { dueAtMs: number }

export class Reclaimer {
  readonly #clock: Clock
  readonly #graceMs: number
  readonly #logger: Logger
  readonly #onCleared: (type: BlockType) => void
  #pending: Pending[] = []
  #running: Promise<void> = Promise.resolve()

  constructor (opts: { clock: Clock, graceMs: number, logger: Logger, onCleared: (type: BlockType) => void }) {
    this.#clock = opts.clock
    this.#graceMs = opts.graceMs
    this.#logger = opts.logger
    this.#onCleared = opts.onCleared
  }

  get size (): number { return this.#pending.length }

  add (entry: ReclaimEntry): void {
    this.#pending.push({ ...entry, dueAtMs: this.#clock.now() + this.#graceMs })
  }

  /** Deletes the entries whose grace has passed; runs never overlap. */
  reclaim (): Promise<void> {
    const now = this.#clock.now()
    return this.#serially(() => this.#take((p) => p.dueAtMs <= now))
  }

  /** Deletes everything still pending, due or not (shutdown: no query runs any more). */
  drain (): Promise<void> {
    return this.#serially(() => this.#take(() => true))
  }

  #serially (fn: () => Pending[]): Promise<void> {
    const run = this.#running.then(async () => {
      for (const entry of fn()) await this.#delete(entry)
    })
    this.#running = run.catch(() => undefined)
    return run
  }

  #take (due: (p: Pending) => boolean): Pending[] {
    const taken = this.#pending.filter(due)
    // A fresh array, so the entries taken (and their readers) are not kept alive by this one.
    this.#pending = this.#pending.filter((p) => !due(p))
    return taken
  }

  async #delete (entry: Pending): Promise<void> {
    try {
      for (const r of entry.readers) await r.close()
      for (const p of entry.paths) await rm(p, { recursive: true, force: true })
      this.#onCleared(entry.blockType)
    } catch (err) {
      // Dropped anyway, as Tempo does: a leftover is found again at the next start.
      this.#logger.error({ err, paths: entry.paths }, 'deleting a removed block failed')
    }
  }
}
