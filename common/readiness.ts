/**
 * Readiness as a state (code-style habit 3, Tempo's ErrStarting/nil/ErrStopping): every push
 * and query checks it first and answers 503 with the reason unless it is `ready`.
 */
export type ReadinessState = 'starting' | 'catching-up' | 'ready' | 'stopping'

export interface Readiness {
  state (): ReadinessState
  /** Why the node is not ready (empty when ready), e.g. "live-store is starting". */
  reason (): string
}
