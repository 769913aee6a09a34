/**
 * Running protobuf size per trace id (Tempo's `tracesizes` tracker). It is kept apart from the
 * live traces because, as in Tempo, a trace cut to the WAL while still receiving spans must keep
 * its total: the limit is on the whole trace, not on what is in memory. Once a trace went over,
 * it stays refused ("sticky") until its entry is dropped.
 *
 * Pruning (Tempo clears entries untouched since the previous head-block cut) belongs to the flush;
 * until it exists, entries live exactly as long as their live trace, plus one per trace whose
 * first span alone was over the limit.
 */
export class TraceSizes {
  readonly #entries = new Map<string, { bytes: number, tooLarge: boolean, lastMs: number }>()

  get size (): number { return this.#entries.size }

  /**
   * Adds `bytes` to the trace's total and returns true if it stays within `max` (0 = unlimited).
   * Otherwise marks the trace too large and returns false, now and for every later call.
   */
  allow (key: string, bytes: number, max: number, nowMs: number): boolean {
    let e = this.#entries.get(key)
    if (e === undefined) {
      e = { bytes: 0, tooLarge: false, lastMs: nowMs }
      this.#entries.set(key, e)
    }
    e.lastMs = nowMs
    if (e.tooLarge) return false
    if (max > 0 && e.bytes + bytes > max) {
      e.tooLarge = true
      return false
    }
    e.bytes += bytes
    return true
  }

  /** Drops entries not touched since `beforeMs` (for the flush to call); returns how many. */
  pruneIdle (beforeMs: number): number {
    let n = 0
    for (const [key, e] of this.#entries) {
      if (e.lastMs < beforeMs) { this.#entries.delete(key); n++ }
    }
    return n
  }
}
