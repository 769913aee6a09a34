/**
 * The queue of WAL blocks waiting to become complete blocks (Tempo's `completeOp` in an
 * exclusive priority queue, tempo-behaviour.md §2.5): one op per (tenant, block id) at a time,
 * the oldest op first. Workers `take()` an op and call `done()` when they finish with it, so
 * `idle()` knows when nothing is queued and nothing runs.
 */
export interface CompleteOp {
  tenant: string
  blockId: string
  /** When the op was first queued (ms): the priority, oldest first. */
  at: number
  /** Completion attempts made so far. */
  attempts: number
}

export function opKey (tenant: string, blockId: string): string {
  return `${tenant}\0${blockId}`
}

/** Backoff before retry number `attempts` (1-based): initial, doubling, capped (30s → 60s → 120s). */
export function completionBackoff (attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempts - 1))
}

export class CompletionQueue {
  readonly #ops: CompleteOp[] = []
  readonly #keys = new Set<string>()
  readonly #takers: { resolve: (op: CompleteOp) => void, reject: (err: unknown) => void, signal: AbortSignal, onAbort: () => void }[] = []
  #busy = 0
  #idleWaiters: (() => void)[] = []
  readonly #onLength: (n: number) => void

  constructor (onLength: (n: number) => void = () => {}) {
    this.#onLength = onLength
  }

  get length (): number { return this.#ops.length }

  /** Queues the op unless one for the same block is already queued; false when it was. */
  push (op: CompleteOp): boolean {
    const key = opKey(op.tenant, op.blockId)
    if (this.#keys.has(key)) return false
    const taker = this.#takers.shift()
    if (taker !== undefined) {
      taker.signal.removeEventListener('abort', taker.onAbort)
      this.#busy++
      taker.resolve(op)
      return true
    }
    this.#keys.add(key)
    let i = this.#ops.length
    while (i > 0 && this.#ops[i - 1]!.at > op.at) i--
    this.#ops.splice(i, 0, op)
    this.#onLength(this.#ops.length)
    return true
  }

  /** The oldest op, once there is one; rejects with the signal's reason when it aborts first. */
  take (signal: AbortSignal): Promise<CompleteOp> {
    if (signal.aborted) return Promise.reject(signal.reason)
    const op = this.#ops.shift()
    if (op !== undefined) {
      this.#keys.delete(opKey(op.tenant, op.blockId))
      this.#onLength(this.#ops.length)
      this.#busy++
      return Promise.resolve(op)
    }
    return new Promise((resolve, reject) => {
      const taker = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#takers.indexOf(taker)
          if (i >= 0) this.#takers.splice(i, 1)
          reject(signal.reason)
        },
      }
      signal.addEventListener('abort', taker.onAbort, { once: true })
      this.#takers.push(taker)
    })
  }

  /** A worker finished with an op it took. */
  done (): void {
    this.#busy--
    this.#checkIdle()
  }

  /** Drops every queued op (shutdown: they are found on disk again at the next start). */
  clear (): void {
    this.#ops.length = 0
    this.#keys.clear()
    this.#onLength(0)
    this.#checkIdle()
  }

  /** Resolves when no op is queued and none is being worked on. */
  idle (): Promise<void> {
    if (this.#ops.length === 0 && this.#busy === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  #checkIdle (): void {
    if (this.#ops.length > 0 || this.#busy > 0) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const w of waiters) w()
  }
}
