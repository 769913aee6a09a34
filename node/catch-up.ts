import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { CatchUp } from '../ingest/partition-reader.ts'
import type { NodeReadiness } from './readiness.ts'

export interface CatchUpWatchOptions {
  readiness: NodeReadiness
  /** The reader's replay progress. */
  progress: () => CatchUp
  /** live_store.readiness_target_lag (ms): ready once the record-time lag is at most this. */
  targetLagMs: number
  /** live_store.readiness_max_wait (ms): ready after this however far behind. */
  maxWaitMs: number
  clock: Clock
  logger: Logger
}

/**
 * Tempo's `waitForCatchUp`, without blocking the start: the node answers `/ready` with
 * `catching-up` (503) and serves partial reads until the replay reached the log end seen at
 * start, or the last record's lag is within the target, or `readiness_max_wait` passed; checked
 * every second. Returns a canceller (the node stops while still catching up).
 */
export function watchCatchUp (o: CatchUpWatchOptions): Timer {
  const started = o.clock.now()
  const check = (): boolean => {
    const p = o.progress()
    const waited = o.clock.now() - started
    const lagOk = p.lastRecordLagMs !== undefined && p.lastRecordLagMs <= o.targetLagMs
    if (p.done || lagOk || waited >= o.maxWaitMs) {
      if (!p.done && !lagOk) o.logger.warn({ remaining: p.remaining, waitedSeconds: waited / 1000 }, 'readiness_max_wait passed while still catching up: ready anyway')
      o.readiness.set('ready')
      return true
    }
    o.readiness.set('catching-up', `live-store is catching up: ${p.remaining} records behind`)
    return false
  }
  if (check()) return { cancel: () => undefined }
  const timer = o.clock.setInterval(() => { if (check()) timer.cancel() }, 1000)
  return timer
}
