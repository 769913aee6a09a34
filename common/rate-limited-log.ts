import type { Clock } from './clock.ts'
import type { Logger } from './logger.ts'

/**
 * Logs a warning at most once per `intervalMs` per reason (the first one at once), adding how
 * many were suppressed since. For hot paths where every bad record would otherwise flood the
 * log (the counter metric keeps the exact number).
 */
export function rateLimitedWarn (logger: Logger, clock: Clock, intervalMs = 10_000) {
  const last = new Map<string, { at: number, suppressed: number }>()
  return (reason: string, fields: Record<string, unknown>, message: string): void => {
    const now = clock.now()
    const seen = last.get(reason)
    if (seen !== undefined && now - seen.at < intervalMs) { seen.suppressed++; return }
    logger.warn({ ...fields, reason, suppressed: seen?.suppressed ?? 0 }, message)
    last.set(reason, { at: now, suppressed: 0 })
  }
}
