/**
 * A simulated cluster: the scheduler (virtual time), the network, the nodes, and the actions a
 * scenario takes on them (start, stop, crash, restart, cut, heal, skew). Actions return at once;
 * their effects unfold as the scenario lets virtual time run (`run`). Every action is written to
 * the run's event log with its virtual time.
 */
import type { RingConfig } from '../ring/config.ts'
import type { RingEventMap } from '../ring/events.ts'
import type { Random } from '../common/random.ts'
import type { Timer } from '../common/clock.ts'
import { defaultLink } from './latency.ts'
import type { LinkProfile } from './latency.ts'
import { SimNetwork } from './network.ts'
import { SimNode } from './node.ts'
import type { NodeSpec } from './node.ts'
import { derive } from './random.ts'
import { Scheduler } from './scheduler.ts'

/** Virtual time zero of every run (2023-11-14T22:13:20Z), whatever the host clock says. */
export const simEpoch = 1_700_000_000_000

export interface ClusterOptions {
  seed: number
  nodes: readonly NodeSpec[]
  /** Ring settings every node shares (defaults: ring/config.ts). */
  ring?: Partial<RingConfig>
  link?: LinkProfile
  linkOf?: (from: string, to: string) => LinkProfile | undefined
  /** Run the replica's validator on the transport (node/ does); default true. */
  validate?: boolean
}

export interface LogEntry {
  /** Virtual ms since the start of the run. */
  t: number
  event: string
}

export type RingChangeObserver = (node: SimNode, detail: RingEventMap['ring:changed']) => void

export class SimCluster {
  readonly seed: number
  readonly scheduler = new Scheduler(simEpoch)
  readonly network: SimNetwork
  readonly nodes = new Map<string, SimNode>()
  /** Randomness for the scenario's own choices (which node to restart, when). */
  readonly random: Random
  readonly log: LogEntry[] = []
  /** Failures of the harness or the ring code (an exception, not a verdict). */
  readonly errors: LogEntry[] = []
  readonly #observers: RingChangeObserver[] = []

  constructor (options: ClusterOptions) {
    this.seed = options.seed
    this.random = derive(options.seed, 'scenario')
    const networkOptions: ConstructorParameters<typeof SimNetwork>[0] = { scheduler: this.scheduler, random: derive(options.seed, 'network'), link: options.link ?? defaultLink }
    if (options.linkOf !== undefined) networkOptions.linkOf = options.linkOf
    this.network = new SimNetwork(networkOptions)
    const env = {
      scheduler: this.scheduler,
      network: this.network,
      seed: options.seed,
      ring: options.ring ?? {},
      validate: options.validate ?? true,
      onRingChanged: (node: SimNode, d: RingEventMap['ring:changed']) => { for (const o of this.#observers) o(node, d) },
      onError: (node: SimNode, err: unknown) => { this.errors.push({ t: this.elapsed(), event: `${node.id}: ${err instanceof Error ? err.message : String(err)}` }) },
    }
    for (const spec of options.nodes) this.nodes.set(spec.id, new SimNode(spec, env))
  }

  /** Virtual ms since the run began. */
  elapsed (): number { return this.scheduler.now() - simEpoch }

  node (id: string): SimNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no simulated node ${id}`)
    return n
  }

  list (): SimNode[] { return [...this.nodes.values()] }
  running (): SimNode[] { return this.list().filter((n) => n.running) }
  zones (): string[] { return [...new Set(this.list().map((n) => n.zone))].sort() }
  inZone (zone: string): SimNode[] { return this.list().filter((n) => n.zone === zone) }

  onRingChanged (observer: RingChangeObserver): void { this.#observers.push(observer) }

  note (event: string): void {
    this.log.push({ t: this.elapsed(), event })
  }

  /** Lets `ms` of virtual time pass. */
  async run (ms: number): Promise<void> {
    await this.scheduler.run(ms)
  }

  /**
   * Awaits `p` while virtual time runs (at most `limitMs`): anything that waits for the network
   * or a timer (a dial, a pull, an edit's publish) only settles while the scheduler runs.
   */
  async drive<T> (p: Promise<T>, limitMs = 60_000): Promise<T> {
    return await this.scheduler.until(p, limitMs)
  }

  /** Runs `fn` every `ms` of virtual time (first after `ms`) until the timer is cancelled. */
  every (ms: number, fn: () => void): Timer {
    let current: Timer | undefined
    let cancelled = false
    const arm = (): void => { current = this.scheduler.at(ms, () => { if (!cancelled) { arm(); fn() } }) }
    arm()
    return { cancel: () => { cancelled = true; current?.cancel() } }
  }

  start (id: string): void {
    this.note(`start ${id}`)
    void this.node(id).start()
  }

  /** Starts the given nodes (default: all), spread evenly over `spreadMs` (0: all at once, a join storm). */
  startAll (ids: readonly string[] = [...this.nodes.keys()], spreadMs = 0): void {
    this.note(spreadMs === 0 ? `start ${ids.length} nodes at once` : `start ${ids.length} nodes over ${spreadMs} ms`)
    ids.forEach((id, i) => {
      const n = this.node(id)
      if (spreadMs === 0) void n.start()
      else this.scheduler.at((spreadMs * i) / ids.length, () => { void n.start() })
    })
  }

  /**
   * The scale bootstrap: starts every given node's transport and links them all before any ring
   * service starts, so no replica sees a peer come up (and pulls its full state) for the N²
   * links of a full mesh; each still pulls once from a seed when it starts. A shortcut, not how
   * nodes start in production (there the mesh forms through the member dialer, one push/pull per
   * new connection); scenarios that use it say so.
   */
  async bootstrapMesh (ids: readonly string[] = [...this.nodes.keys()]): Promise<void> {
    this.note(`bootstrap: ${ids.length} transports linked in a full mesh before the ring starts`)
    await this.drive(Promise.all(ids.map((id) => this.node(id).prepare())))
    this.network.meshAll(ids)
    await this.run(50)
  }

  stop (id: string): void {
    this.note(`stop ${id}`)
    void this.node(id).stop()
  }

  crash (...ids: string[]): void {
    this.note(`crash ${ids.join(', ')}`)
    for (const id of ids) this.node(id).crash()
  }

  crashZone (zone: string): void {
    this.note(`crash zone ${zone}`)
    for (const n of this.inZone(zone)) n.crash()
  }

  /** Cuts the network between groups of nodes (unlisted nodes form one more group). */
  partition (groups: readonly (readonly string[])[], label: string): void {
    this.note(`partition: ${label}`)
    this.network.setGroups(groups)
  }

  /** Cuts the network between zones: each listed set of zones becomes one group. */
  partitionZones (...zoneGroups: readonly (readonly string[])[]): void {
    const groups = zoneGroups.map((zs) => this.list().filter((n) => zs.includes(n.zone)).map((n) => n.id))
    this.partition(groups, zoneGroups.map((zs) => zs.join('+')).join(' | '))
  }

  heal (): void {
    this.note('heal the network')
    this.network.heal()
  }

  setSkew (id: string, ms: number): void {
    this.note(`clock of ${id} ${ms >= 0 ? '+' : ''}${formatMs(ms)}`)
    this.node(id).setSkew(ms)
  }

  setLink (link: LinkProfile, label: string): void {
    this.note(`network: ${label}`)
    this.network.setLink(link)
  }
}

export function formatMs (ms: number): string {
  const abs = Math.abs(ms)
  const sign = ms < 0 ? '-' : ''
  if (abs >= 86_400_000) return `${sign}${Math.round(abs / 86_400_000)} d`
  if (abs >= 1000) return `${sign}${Math.round(abs / 100) / 10} s`
  return `${sign}${Math.round(abs)} ms`
}
