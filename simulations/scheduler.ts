/**
 * The simulator's virtual time: one event queue for every node of a run (a binary heap ordered
 * by `(time, sequence)`), and a `Clock` view per node over it (`NodeClock`) that adds the node's
 * clock skew to what `now()` reads but schedules its timers on the shared, true time.
 *
 * Determinism: events at one instant run in the order they were scheduled; after each instant
 * the loop yields once to the event loop (`setImmediate`), which drains every microtask first,
 * so all the promise continuations an event started (the ring's serial queue, awaited publishes,
 * request answers) run before virtual time moves on. Nothing else in a run touches real timers,
 * real I/O or `Math.random`, so one seed gives one sequence of events.
 *
 * Why not test/fakes/clock.ts: `ManualClock.advance` filters and sorts every pending timer for
 * each timer it fires, which is quadratic with 1,000 nodes' heartbeats, reconciles and in-flight
 * messages.
 */
import type { Clock, Timer } from '../common/clock.ts'

interface Event {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export class Scheduler {
  #now: number
  #seq = 0
  readonly #heap: Event[] = []
  #live = 0
  /** Events run so far (for the simulator-speed figure). */
  eventsRun = 0
  /** The first error an event threw; the run stops at the next instant. */
  failure: unknown

  constructor (start: number) {
    this.#now = start
  }

  /** True (virtual) milliseconds since the Unix epoch. */
  now (): number { return this.#now }

  /** Events scheduled and not yet run or cancelled. */
  get pending (): number { return this.#live }

  /** Runs `fn` after `ms` (at least 0) of virtual time. */
  at (ms: number, fn: () => void): Timer {
    const e: Event = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false }
    this.#push(e)
    this.#live++
    return { cancel: () => { if (!e.cancelled) { e.cancelled = true; this.#live-- } } }
  }

  /**
   * Runs every event up to `now + ms`, instant by instant, then sets the time to the end. Stops
   * early (and rethrows) when an event throws, or (time staying at the last instant run) as
   * soon as `stop()` holds after an instant: a benchmark's wall-clock budget.
   */
  async run (ms: number, stop?: () => boolean): Promise<void> {
    const end = this.#now + ms
    await yieldToLoop()
    for (;;) {
      if (stop?.() === true) return
      const next = this.#peek()
      if (next === undefined || next.at > end) break
      this.#now = next.at
      while (this.#peek()?.at === this.#now) {
        const e = this.#pop() as Event
        if (e.cancelled) continue
        e.cancelled = true
        this.#live--
        this.eventsRun++
        try {
          e.fn()
        } catch (err) {
          this.failure ??= err
        }
      }
      await yieldToLoop()
      if (this.failure !== undefined) throw this.failure
    }
    this.#now = Math.max(this.#now, end)
  }

  /** Runs until `p` settles (moving time as needed, at most `limitMs`); returns its value. */
  async until<T> (p: Promise<T>, limitMs = 600_000, stepMs = 10): Promise<T> {
    let done = false
    const settled = p.finally(() => { done = true })
    settled.catch(() => undefined)
    await yieldToLoop()
    for (let waited = 0; !done; waited += stepMs) {
      if (waited >= limitMs) throw new Error(`still pending after ${limitMs} ms of virtual time`)
      await this.run(stepMs)
    }
    return await settled
  }

  #peek (): Event | undefined {
    let top = this.#heap[0]
    while (top !== undefined && top.cancelled) {
      this.#pop()
      top = this.#heap[0]
    }
    return top
  }

  #push (e: Event): void {
    const h = this.#heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(e, h[parent] as Event)) break
      h[i] = h[parent] as Event
      i = parent
    }
    h[i] = e
  }

  #pop (): Event | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (top === undefined || last === undefined || h.length === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= h.length) break
      const r = l + 1
      const child = r < h.length && before(h[r] as Event, h[l] as Event) ? r : l
      if (!before(h[child] as Event, last)) break
      h[i] = h[child] as Event
      i = child
    }
    h[i] = last
    return top
  }
}

function before (a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/**
 * One node's clock: `now()` is the true virtual time plus the node's skew (whole milliseconds,
 * like `Date.now()`); timers run on true time, so a skewed node still beats every second. `kill`
 * (a crash) cancels every timer the node has and ignores the ones it sets later.
 */
export class NodeClock implements Clock {
  skewMs: number
  readonly #scheduler: Scheduler
  readonly #timers = new Set<Timer>()
  #dead = false

  constructor (scheduler: Scheduler, skewMs = 0) {
    this.#scheduler = scheduler
    this.skewMs = skewMs
  }

  now (): number { return Math.floor(this.#scheduler.now() + this.skewMs) }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers (): number { return this.#timers.size }

  setTimeout (fn: () => void, ms: number): Timer {
    if (this.#dead) return { cancel: () => undefined }
    const t: Timer = this.#scheduler.at(ms, () => { this.#timers.delete(handle); fn() })
    const handle: Timer = { cancel: () => { t.cancel(); this.#timers.delete(handle) } }
    this.#timers.add(handle)
    return handle
  }

  setInterval (fn: () => void, ms: number): Timer {
    const every = Math.max(1, ms)
    let current: Timer | undefined
    let cancelled = false
    const handle: Timer = { cancel: () => { cancelled = true; current?.cancel(); this.#timers.delete(handle) } }
    const arm = (): void => {
      if (cancelled || this.#dead) return
      current = this.#scheduler.at(every, () => { arm(); fn() })
    }
    if (this.#dead) return handle
    this.#timers.add(handle)
    arm()
    return handle
  }

  sleep (ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) { reject(signal.reason); return }
      const onAbort = (): void => { t.cancel(); reject(signal?.reason) }
      const t = this.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** A crash: no timer of this node fires again. */
  kill (): void {
    this.#dead = true
    for (const t of [...this.#timers]) t.cancel()
    this.#timers.clear()
  }
}
