/**
 * The availability part of each sample (monitor.ts): which partitions queries must answer, the
 * probe queries through the real fan-out (query-probe.ts) from a few nodes per zone, and how
 * many routes still list a dead owner.
 *
 * Which partitions must answer, from the simulation's ground truth rather than any replica's
 * view: the expected partitions (configured, i.e. some node owns them, and seen active at least
 * once), each as long as one of its configured owners has run for `ownerGraceMs`, is reachable
 * from the querier, is not excluded, and still holds a live owner entry in the latest state.
 */
import type { Random } from '../common/random.ts'
import type { RingState } from '../ring/model.ts'
import { listPartitions } from '../ring/read.ts'
import type { SimCluster } from './cluster.ts'
import type { Report } from './invariants.ts'
import type { SimNode } from './node.ts'
import { probeQuery, routingOf } from './query-probe.ts'
import { derive } from './random.ts'

/** The parts of a sample this fills in (possibly after the sample was taken: probes take time). */
export interface AvailabilitySample {
  readonly t: number
  availability: number | null
  requiredMet: number | null
  routesLive: number | null
}

export interface AvailabilityOptions {
  queriersPerZone: number
  routesOfAll: boolean
  ownerGraceMs: number
}

export interface Excluding {
  readonly excluded: ReadonlyMap<string, string>
  report: Report
}

export class AvailabilityProbe {
  /** Whether unanswered partitions are violations now (from formation on). */
  required = false
  /** Probe queries still in flight. */
  pending = 0
  readonly #sim: SimCluster
  readonly #monitor: Excluding
  readonly #options: AvailabilityOptions
  readonly #random: Random
  readonly #notQueriers = new Set<string>()
  readonly #configured: ReadonlySet<number>
  readonly #expected = new Set<number>()
  #round = 0

  constructor (sim: SimCluster, monitor: Excluding, options: AvailabilityOptions) {
    this.#sim = sim
    this.#monitor = monitor
    this.#options = options
    this.#random = derive(sim.seed, 'probe')
    this.#configured = new Set(sim.list().flatMap((n) => n.partitions))
  }

  setQuerier (id: string, allowed: boolean): void {
    if (allowed) this.#notQueriers.delete(id)
    else this.#notQueriers.add(id)
  }

  /** Measures routes now and starts this sample's probes (they fill `s` in when they finish). */
  sample (s: AvailabilitySample, honest: readonly SimNode[], latest: RingState | undefined): void {
    if (latest !== undefined) {
      for (const p of listPartitions(latest)) if (p.state === 'active' && this.#configured.has(p.id)) this.#expected.add(p.id)
    }
    const expected = [...this.#expected].sort((a, b) => a - b)
    const queriers = this.#queriers(honest)
    this.#routes(s, this.#options.routesOfAll ? honest : queriers)
    if (latest !== undefined) for (const q of queriers) this.#probe(s, q, latest, expected)
    this.#round++
  }

  #routes (s: AvailabilitySample, nodes: readonly SimNode[]): void {
    let routes = 0
    let live = 0
    for (const q of nodes) {
      for (const candidates of routingOf(q).values()) {
        routes++
        if (candidates.every((id) => this.#sim.nodes.get(id)?.running === true)) live++
      }
    }
    s.routesLive = routes === 0 ? null : live / routes
  }

  /** Settled honest nodes, `queriersPerZone` per zone, rotating each sample. */
  #queriers (honest: readonly SimNode[]): SimNode[] {
    const now = this.#sim.scheduler.now()
    const out: SimNode[] = []
    for (const zone of this.#sim.zones()) {
      const settled = honest.filter((n) => n.zone === zone && !this.#notQueriers.has(n.id) && (n.runningSince ?? Infinity) <= now - this.#options.ownerGraceMs)
      for (let i = 0; i < Math.min(this.#options.queriersPerZone, settled.length); i++) {
        out.push(settled[(this.#round * this.#options.queriersPerZone + i) % settled.length] as SimNode)
      }
    }
    return out
  }

  /** The expected partitions `q` must get an answer for (see the file comment). */
  #mustAnswer (q: SimNode, latest: RingState, expected: readonly number[]): Set<number> {
    const now = this.#sim.scheduler.now()
    const out = new Set<number>()
    for (const p of expected) {
      for (const o of latest.owners.values()) {
        if (o.partition !== p || o.value.state !== 'active') continue
        const n = this.#sim.nodes.get(o.ownerId)
        if (n === undefined || !n.partitions.includes(p) || this.#monitor.excluded.has(n.id) || !n.running || (n.runningSince ?? Infinity) > now - this.#options.ownerGraceMs) continue
        if (n.id === q.id || this.#sim.network.reachable(q.id, n.id)) { out.add(p); break }
      }
    }
    return out
  }

  #probe (s: AvailabilitySample, q: SimNode, latest: RingState, expected: readonly number[]): void {
    const must = this.#mustAnswer(q, latest, expected)
    const required = this.required
    this.pending++
    void probeQuery(this.#sim, q, this.#random).then((r) => {
      this.pending--
      const missing = [...must].filter((p) => !r.answered.has(p))
      s.availability = Math.min(s.availability ?? 1, expected.length === 0 ? 1 : expected.filter((p) => r.answered.has(p)).length / expected.length)
      s.requiredMet = Math.min(s.requiredMet ?? 1, must.size === 0 ? 1 : (must.size - missing.length) / must.size)
      if (required && missing.length > 0) {
        const list = `${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` and ${missing.length - 8} more` : ''}`
        this.#monitor.report({ invariant: 'availability', node: q.id, detail: `query at ${s.t} ms: no answer for partition(s) ${list}, each with a reachable live owner` })
      }
    }, (err: unknown) => {
      this.pending--
      this.#monitor.report({ invariant: 'error', node: q.id, detail: `probe failed: ${err instanceof Error ? err.message : String(err)}` })
    })
  }
}
