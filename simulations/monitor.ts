/**
 * Watches a run: the event-driven invariants (invariants.ts) on every ring change, and every
 * `sampleMs` a timeline sample: how many honest live replicas hold the latest state (the join of
 * all of them), what queries from a few nodes get through the real fan-out (query-probe.ts), how
 * many routes still list a dead owner, and the message rate. Violations are collected with
 * their virtual time; the verdict is pass exactly when there are none.
 */
import type { Timer } from '../common/clock.ts'
import type { RingState } from '../ring/model.ts'
import { listPartitions } from '../ring/read.ts'
import type { SimCluster } from './cluster.ts'
import { joinStates, visibleDigest } from './digest.ts'
import { PreviousStates, PromotionCheck, ResurrectionCheck } from './invariants.ts'
import type { InvariantName, PromotionRules, RogueCheck, Violation } from './invariants.ts'
import type { SimNode } from './node.ts'
import { AvailabilityProbe } from './availability.ts'
import { probeTimeoutMs } from './query-probe.ts'

export interface Sample {
  /** Virtual ms since the start. */
  t: number
  /** Running nodes (honest ones; excluded nodes are not counted anywhere). */
  live: number
  /** Fraction of them whose visible state equals the join of all of them. */
  converged: number
  /** Distinct visible states among them. */
  states: number
  /** Partitions the join serves (active or inactive). */
  partitions: number
  /**
   * Worst querier: fraction of the expected partitions (configured, and active at least once)
   * a query got an answer for (null: no probe this sample).
   */
  availability: number | null
  /** Worst querier: fraction of the partitions that had a reachable live owner that were answered. */
  requiredMet: number | null
  /** Fraction of routes (querier × partition) that list no dead owner (null: not measured). */
  routesLive: number | null
  /** Messages (deltas, requests, answers) sent per running node per second, over the last second. */
  messagesPerNodePerSecond: number
  bytesPerNodePerSecond: number
}

export interface ConvergenceExpectation {
  label: string
  from: number
  withinMs: number
  /** When every honest live replica held the latest state, in ms after `from`. */
  afterMs?: number
  failed?: boolean
}

export interface MonitorOptions {
  sampleMs: number
  promotion: PromotionRules
  /** Queriers per zone each sample (rotating over the zone's settled nodes). */
  queriersPerZone: number
  /** Compute `routesLive` over every live node (default: only the queriers). */
  routesOfAll: boolean
  /** How long an owner must have run before queries must reach it. */
  ownerGraceMs: number
}

export class Monitor {
  readonly timeline: Sample[] = []
  readonly violations: Violation[] = []
  readonly counts: Record<InvariantName, number> = { convergence: 0, resurrection: 0, availability: 0, promotion: 0, rogue: 0, error: 0 }
  readonly expectations: ConvergenceExpectation[] = []
  readonly excluded = new Map<string, string>()
  readonly promotion: PromotionCheck
  rogue: RogueCheck | undefined
  /** Called after every sample (the CLI's progress report; must not touch the simulation). */
  onSample: () => void = () => undefined
  readonly #sim: SimCluster
  readonly #options: MonitorOptions
  readonly #previous = new PreviousStates()
  readonly #resurrection = new ResurrectionCheck()
  readonly #availability: AvailabilityProbe
  #timer: Timer | undefined
  /** Traffic totals at past samples, for rates over a sliding one-second window. */
  readonly #traffic: { at: number, sent: number, bytes: number }[] = []

  constructor (sim: SimCluster, options: MonitorOptions) {
    this.#sim = sim
    this.#options = options
    this.promotion = new PromotionCheck(options.promotion)
    this.#availability = new AvailabilityProbe(sim, this, options)
    sim.onRingChanged((node, detail) => {
      const prev = this.#previous.advance(node, detail)
      if (this.excluded.has(node.id) || !this.#alive(node)) return
      const report = (v: Omit<Violation, 't'>): void => this.report(v)
      const now = sim.scheduler.now()
      this.#resurrection.observe(node, detail, report)
      this.promotion.observe(node, detail, prev, now, report)
      this.rogue?.observe(node, detail, prev, now, report)
    })
  }

  /** Leaves a node out of every invariant (a rogue, or a node the scenario breaks on purpose). */
  exclude (id: string, why: string): void {
    this.excluded.set(id, why)
    this.#sim.note(`monitor: ${id} excluded (${why})`)
  }

  /** Takes an excluded node back into the invariants (e.g. once its clock is fixed and it restarted). */
  include (id: string): void {
    if (this.excluded.delete(id)) this.#sim.note(`monitor: ${id} included again`)
  }

  /** Stops (or resumes) sending probe queries through `id`, e.g. while its view lags on purpose. */
  setQuerier (id: string, allowed: boolean, why: string): void {
    this.#availability.setQuerier(id, allowed)
    this.#sim.note(`monitor: ${allowed ? 'queries through' : 'no queries through'} ${id} (${why})`)
  }

  watchRogue (check: RogueCheck): void { this.rogue = check }

  report (v: Omit<Violation, 't'>): void {
    this.counts[v.invariant]++
    if (this.counts[v.invariant] <= 20) this.violations.push({ t: this.#sim.elapsed(), ...v })
  }

  /** From now on every partition with a reachable, settled live owner must answer queries. */
  requireAvailability (on = true): void {
    if (on !== this.#availability.required) this.#sim.note(on ? 'monitor: availability required' : 'monitor: availability not required')
    this.#availability.required = on
  }

  /** Every honest live replica must hold the latest state within `withinMs` from now. */
  expectConvergence (label: string, withinMs: number): ConvergenceExpectation {
    const e: ConvergenceExpectation = { label, from: this.#sim.elapsed(), withinMs }
    this.expectations.push(e)
    return e
  }

  start (): void {
    this.#traffic.push({ ...this.#totals(), at: this.#sim.elapsed() })
    this.#timer = this.#sim.every(this.#options.sampleMs, () => this.#sample())
  }

  /** Stops sampling and lets probes still in flight finish (at most one probe deadline). */
  async finish (): Promise<void> {
    this.#timer?.cancel()
    for (let waited = 0; this.#availability.pending > 0 && waited <= probeTimeoutMs; waited += 100) await this.#sim.run(100)
    for (const e of this.expectations) {
      if (e.afterMs === undefined && e.failed !== true) {
        e.failed = true
        this.report({ invariant: 'convergence', detail: `${e.label}: not converged when the run ended (${this.#sim.elapsed() - e.from} ms after, bound ${e.withinMs} ms)` })
      }
    }
    for (const err of this.#sim.errors) this.report({ invariant: 'error', detail: `at ${err.t} ms: ${err.event}` })
  }

  /** Honest running nodes. */
  honest (): SimNode[] {
    return this.#sim.running().filter((n) => !this.excluded.has(n.id))
  }

  /** The join of every honest live replica's state. */
  latest (): RingState | undefined {
    return joinStates(this.honest().flatMap((n) => n.incarnation === undefined ? [] : [n.incarnation.replica.ring]))
  }

  #alive (node: SimNode): boolean {
    return node.status === 'running' || node.status === 'starting'
  }

  #totals (): { sent: number, bytes: number } {
    let sent = 0
    let bytes = 0
    for (const n of this.#sim.list()) {
      const t = this.#sim.network.traffic(n.id)
      if (t !== undefined) { sent += t.sent; bytes += t.bytesSent }
    }
    return { sent, bytes }
  }

  #sample (): void {
    const t = this.#sim.elapsed()
    const honest = this.honest()
    const latest = this.latest()
    const target = latest === undefined ? undefined : visibleDigest(latest)
    const digests = honest.map((n) => n.incarnation === undefined ? '' : visibleDigest(n.incarnation.replica.ring))
    const converged = honest.length === 0 ? 1 : digests.filter((d) => d === target).length / honest.length
    const traffic = { ...this.#totals(), at: t }
    this.#traffic.push(traffic)
    while (this.#traffic.length > 2 && (this.#traffic[1]?.at ?? t) <= t - 1000) this.#traffic.shift()
    const since = this.#traffic[0] ?? traffic
    const seconds = Math.max(1e-9, (t - since.at) / 1000)
    const live = Math.max(1, this.#sim.running().length)
    const sample: Sample = {
      t,
      live: honest.length,
      converged,
      states: new Set(digests).size,
      partitions: latest === undefined ? 0 : listPartitions(latest).filter((p) => p.state !== 'pending').length,
      availability: null,
      requiredMet: null,
      routesLive: null,
      messagesPerNodePerSecond: (traffic.sent - since.sent) / seconds / live,
      bytesPerNodePerSecond: (traffic.bytes - since.bytes) / seconds / live,
    }
    this.timeline.push(sample)
    if (converged === 1 && honest.length > 0) {
      for (const e of this.expectations) if (e.afterMs === undefined && e.failed !== true) e.afterMs = t - e.from
    }
    for (const e of this.expectations) {
      if (e.afterMs === undefined && e.failed !== true && t - e.from > e.withinMs) {
        e.failed = true
        this.report({ invariant: 'convergence', detail: `${e.label}: ${Math.round(converged * honest.length)} of ${honest.length} live replicas hold the latest state ${e.withinMs} ms after (${new Set(digests).size} distinct states)` })
      }
    }
    this.#availability.sample(sample, honest, latest)
    this.onSample()
  }
}
