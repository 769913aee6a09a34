import type { Readiness, ReadinessState } from '../common/readiness.ts'

/** The node's readiness, set by node/ as services start and stop; read by every endpoint. */
export class NodeReadiness implements Readiness {
  #state: ReadinessState = 'starting'
  #reason = 'live-store is starting'

  state (): ReadinessState { return this.#state }
  reason (): string { return this.#state === 'ready' ? '' : this.#reason }

  set (state: ReadinessState, reason = ''): void {
    this.#state = state
    this.#reason = reason
  }
}
