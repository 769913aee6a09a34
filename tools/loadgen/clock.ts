import type { Clock } from '../../common/clock.ts'

/** What the load generator needs of a clock: wall time (span timestamps, pacing) and sleeping. */
export type LoadGenClock = Pick<Clock, 'now' | 'sleep'>

/**
 * The default clock of the client tools: wall-clock milliseconds from the high-resolution,
 * monotonic `performance` timer (so pacing never jumps with NTP adjustments), and sleeping with
 * timers. Library code takes a clock as a parameter; this is only the fallback.
 */
export function performanceClock (): LoadGenClock {
  return {
    now: () => performance.timeOrigin + performance.now(),
    sleep (ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted === true) { reject(signal.reason); return }
        const onAbort = (): void => { clearTimeout(t); reject(signal?.reason) }
        const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, Math.max(0, ms))
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    },
  }
}
