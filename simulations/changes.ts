/**
 * Times one ring change across the cluster: from the moment a writer makes it until each honest
 * live replica holds it (watched on every `ring:changed`, so the times are exact, not sampled).
 * This is the "convergence after a single change" figure (ring-convergence bench, issue 7).
 */
import type { RingState } from '../ring/model.ts'
import type { SimCluster } from './cluster.ts'
import type { Monitor } from './monitor.ts'

export interface ChangeResult {
  label: string
  /** Replicas that hold the change, and their delays in ms (sorted). */
  delays: number[]
  /** Honest replicas running at the end that never got it. */
  missing: number
}

export class ChangeTracker {
  readonly #sim: SimCluster
  readonly #monitor: Monitor
  readonly #open: { label: string, at: number, has: (s: RingState) => boolean, seen: Map<string, number> }[] = []
  readonly results: ChangeResult[] = []

  constructor (sim: SimCluster, monitor: Monitor) {
    this.#sim = sim
    this.#monitor = monitor
    sim.onRingChanged((node, detail) => {
      for (const c of this.#open) {
        if (!c.seen.has(node.id) && c.has(detail.state)) c.seen.set(node.id, sim.scheduler.now() - c.at)
      }
    })
  }

  /** Starts timing a change that `has` recognises; call just before the writer makes it. */
  track (label: string, has: (s: RingState) => boolean): void {
    this.#open.push({ label, at: this.#sim.scheduler.now(), has, seen: new Map() })
  }

  /** True when every honest live replica holds every tracked change. */
  settled (): boolean {
    const honest = this.#monitor.honest()
    return this.#open.every((c) => honest.every((n) => c.seen.has(n.id)))
  }

  /** Closes every tracked change and returns the results. */
  close (): ChangeResult[] {
    const honest = this.#monitor.honest()
    for (const c of this.#open.splice(0)) {
      const delays = honest.flatMap((n) => { const d = c.seen.get(n.id); return d === undefined ? [] : [d] }).sort((a, b) => a - b)
      this.results.push({ label: c.label, delays, missing: honest.length - delays.length })
    }
    return this.results
  }
}

/** The q-quantile (0..1) of sorted values, nearest rank; undefined when empty. */
export function quantile (sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}
