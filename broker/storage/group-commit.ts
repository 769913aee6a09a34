/**
 * Group commit: many writers share one fdatasync. Writers write synchronously (into the page
 * cache, in event-loop order), take a ticket, and wait for a sync that started after their write.
 * At most one sync runs at a time; when it finishes, the next one starts if anyone is waiting
 * and covers everything written meanwhile. So N concurrent appends cost ~2 fsyncs, not N.
 */
interface Waiter { ticket: number, resolve: () => void, reject: (err: unknown) => void }

export class GroupCommit {
  readonly #sync: () => Promise<void>
  /** Ticket of the latest write. */
  #written = 0
  /** Every write with a ticket ≤ this is durable. */
  #synced = 0
  #running: Promise<void> | null = null
  #waiters: Waiter[] = []
  #idleWaiters: (() => void)[] = []

  /** `sync` makes every write done before it was called durable. */
  constructor (sync: () => Promise<void>) { this.#sync = sync }

  /** Records a write that just went to the OS; returns its ticket for `waitFor`. */
  wrote (): number { return ++this.#written }

  /** True when writes are not yet covered by a completed or running sync. */
  get dirty (): boolean { return this.#synced < this.#written }

  get running (): boolean { return this.#running !== null }

  /** Resolves once a sync covering `ticket` has completed; rejects if that sync fails. */
  waitFor (ticket: number): Promise<void> {
    if (ticket <= this.#synced) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#waiters.push({ ticket, resolve, reject })
      if (this.#running === null) this.#start()
    })
  }

  /** Syncs everything written so far. */
  flush (): Promise<void> { return this.waitFor(this.#written) }

  /** Resolves when no sync is running (before closing a file descriptor a sync may use). */
  idle (): Promise<void> {
    if (this.#running === null) return Promise.resolve()
    return new Promise((resolve) => { this.#idleWaiters.push(resolve) })
  }

  #start (): void {
    const target = this.#written
    this.#running = this.#sync().then(
      () => { this.#finish(target, true, undefined) },
      (err: unknown) => { this.#finish(target, false, err) },
    )
  }

  #finish (target: number, ok: boolean, err: unknown): void {
    this.#running = null
    if (ok) this.#synced = Math.max(this.#synced, target)
    const still: Waiter[] = []
    for (const w of this.#waiters) {
      // A failed sync fails everyone it was meant to cover; later writers get their own attempt.
      if (w.ticket <= target) {
        if (ok) w.resolve()
        else w.reject(err)
      } else {
        still.push(w)
      }
    }
    this.#waiters = still
    if (still.length > 0) {
      this.#start()
      return
    }
    const idle = this.#idleWaiters
    this.#idleWaiters = []
    for (const fn of idle) fn()
  }
}
