/**
 * Abort signals whose time limits run on the injected `Clock` (so a manual clock can fire them),
 * combined with the caller's signal and the transport's lifetime.
 */
import type { Clock } from '../../common/clock.ts'

export interface Deadline {
  signal: AbortSignal
  /** Releases the timer and the listeners; call it when the operation is over. */
  done (): void
}

/**
 * A signal that aborts when any of `parents` does (with its reason), or after `ms` with the
 * reason `onTimeout()` returns.
 */
export function deadline (clock: Clock, ms: number, onTimeout: () => unknown, parents: readonly (AbortSignal | undefined)[]): Deadline {
  const controller = new AbortController()
  const listening: AbortSignal[] = []
  const cleanup = (): void => {
    timer.cancel()
    for (const p of listening) p.removeEventListener('abort', onParentAbort)
  }
  const onParentAbort = (event: Event): void => {
    cleanup()
    controller.abort((event.target as AbortSignal).reason)
  }
  const timer = clock.setTimeout(() => { cleanup(); controller.abort(onTimeout()) }, ms)
  for (const p of parents) {
    if (p === undefined) continue
    if (p.aborted) {
      cleanup()
      controller.abort(p.reason)
      break
    }
    p.addEventListener('abort', onParentAbort, { once: true })
    listening.push(p)
  }
  return { signal: controller.signal, done: cleanup }
}
