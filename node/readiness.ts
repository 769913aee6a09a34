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

/**
 * The readiness the query side answers with: the node's own, except that a ready node whose data
 * is behind right now (`behind` says why: its Kafka consumer stalled) serves as `catching-up`,
 * so its answers are marked incomplete and a querier prefers another owner. `/ready` keeps the
 * node's own readiness: a stall mends by itself and must not take the node out of rotation.
 */
export function servingReadiness (node: Readiness, behind: () => string | undefined): Readiness {
  const lag = (): string | undefined => node.state() === 'ready' ? behind() : undefined
  return {
    state: () => lag() === undefined ? node.state() : 'catching-up',
    reason: () => lag() ?? node.reason(),
  }
}
