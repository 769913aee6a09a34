/**
 * A token bucket that paces sends to `rate` units per second, for any number of concurrent
 * senders: `reserve(n)` takes n tokens now (the balance may go negative) and says how long to
 * wait before using them, so each reservation is scheduled after the previous ones and senders
 * spread out evenly. The bucket starts with, and holds at most, `burst` tokens. A rate of 0 or
 * Infinity never waits.
 */
export interface Pacer {
  /** Reserves `n` tokens; returns the milliseconds to wait before spending them. */
  reserve(n: number): number
}

export function tokenBucket (rate: number, burst: number, now: () => number): Pacer {
  if (!(rate > 0) || rate === Infinity) return { reserve: () => 0 }
  const perMs = rate / 1000
  let tokens = burst
  let last = now()
  return {
    reserve (n) {
      const t = now()
      tokens = Math.min(burst, tokens + (t - last) * perMs)
      last = t
      tokens -= n
      return tokens >= 0 ? 0 : -tokens / perMs
    },
  }
}
