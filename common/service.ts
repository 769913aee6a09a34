/**
 * One lifecycle for every long-running component (DESIGN.md "One service lifecycle"), after
 * dskit's services and libp2p's Startable:
 *
 *   new ──start()──▶ starting ──▶ running ──stop()──▶ stopping ──▶ stopped
 *                        └──(start threw)──▶ failed
 *
 * `start(signal)` may be aborted by the signal (the node is shutting down while starting).
 * `stop()` must be safe to call in any state, twice, or before `start`, and must release
 * everything it can even when one step fails.
 */
export type ServiceState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed'

export interface Service {
  readonly name: string
  readonly state: ServiceState
  start(signal: AbortSignal): Promise<void>
  stop(): Promise<void>
}

/**
 * Base class that enforces the state machine so implementations only write `doStart`/`doStop`:
 * a second `start` is a no-op, `stop` before `start` or twice is a no-op, `stop` during `start`
 * waits for the start to settle, and a failed start still runs `doStop` to release resources.
 */
export abstract class ServiceBase implements Service {
  abstract readonly name: string
  #state: ServiceState = 'new'
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined

  get state (): ServiceState { return this.#state }

  protected abstract doStart (signal: AbortSignal): Promise<void>
  protected abstract doStop (): Promise<void>

  start (signal: AbortSignal): Promise<void> {
    if (this.#starting !== undefined) return this.#starting
    this.#state = 'starting'
    this.#starting = (async () => {
      try {
        signal.throwIfAborted()
        await this.doStart(signal)
        if (this.#state === 'starting') this.#state = 'running'
      } catch (err) {
        this.#state = 'failed'
        await this.doStop().catch(() => undefined)
        throw err
      }
    })()
    return this.#starting
  }

  stop (): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping
    this.#stopping = (async () => {
      if (this.#starting === undefined) { this.#state = 'stopped'; return }
      await this.#starting.catch(() => undefined)
      if (this.#state === 'failed') return
      this.#state = 'stopping'
      try { await this.doStop() } finally { this.#state = 'stopped' }
    })()
    return this.#stopping
  }
}
