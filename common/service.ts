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
