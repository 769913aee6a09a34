/**
 * One simulated node: the real ring stack (`RingReplica` + `PartitionLifecycler`, wired as
 * node/cluster.ts wires them, the replica's validator on the transport) over a `SimTransport`,
 * with its own skewed clock view and seeded random stream. A node lives through incarnations:
 * `start` after a stop or crash builds a fresh one with an empty ring (the ring is not persisted,
 * a restarted node pulls first), as a restarted process does.
 */
import { defaultsOf } from '../common/config-schema.ts'
import { ringSchema } from '../ring/config.ts'
import type { RingConfig } from '../ring/config.ts'
import { RingEvents } from '../ring/events.ts'
import type { RingEventMap } from '../ring/events.ts'
import { RingReplica } from '../ring/gossip.ts'
import { PartitionLifecycler } from '../ring/lifecycler.ts'
import type { SimNetwork } from './network.ts'
import { derive } from './random.ts'
import { NodeClock } from './scheduler.ts'
import type { Scheduler } from './scheduler.ts'
import { SimTransport, simAddressPrefix } from './transport.ts'

export type NodeStatus = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed' | 'failed'

export interface NodeSpec {
  id: string
  zone: string
  partitions: readonly number[]
  /** Ids of the nodes it joins through (`join_members`). */
  seeds?: readonly string[]
  skewMs?: number
  /** Ring settings of this node only, over the cluster's (a fault a test injects, say). */
  ring?: Partial<RingConfig>
  /**
   * Run the partition lifecycler (default true). Without it the node is a bare gossip replica:
   * no membership, heartbeats or ownership (the large-scale gossip measurement uses that).
   */
  lifecycler?: boolean
}

export interface NodeEnv {
  scheduler: Scheduler
  network: SimNetwork
  seed: number
  ring: Partial<RingConfig>
  /** Run the replica's validator on the transport, as node/ does with libp2p (default true). */
  validate: boolean
  /** Every ring event of every incarnation, for the invariant checks. */
  onRingChanged: (node: SimNode, detail: RingEventMap['ring:changed']) => void
  /** A handler or a start/stop failed: the run is broken (not a verdict, a bug). */
  onError: (node: SimNode, err: unknown) => void
}

export interface Incarnation {
  readonly number: number
  readonly clock: NodeClock
  readonly transport: SimTransport
  readonly replica: RingReplica
  /** Undefined on a bare gossip replica (`NodeSpec.lifecycler` false). */
  readonly lifecycler: PartitionLifecycler | undefined
  readonly events: RingEvents
  readonly config: RingConfig
}

export class SimNode {
  readonly id: string
  readonly zone: string
  readonly partitions: readonly number[]
  readonly seeds: readonly string[]
  readonly withLifecycler: boolean
  /** This node's own ring settings (applied from its next incarnation on). */
  ringOverrides: Partial<RingConfig>
  #skewMs: number
  readonly #env: NodeEnv
  #current: Incarnation | undefined
  /** The incarnation whose ring services `start` is starting (so a second `start` waits for nothing). */
  #starting: Incarnation | undefined
  #incarnations = 0
  status: NodeStatus = 'new'
  /** True time of the last successful start (undefined while not running). */
  runningSince: number | undefined

  constructor (spec: NodeSpec, env: NodeEnv) {
    this.id = spec.id
    this.zone = spec.zone
    this.partitions = spec.partitions
    this.seeds = spec.seeds ?? []
    this.ringOverrides = spec.ring ?? {}
    this.withLifecycler = spec.lifecycler ?? true
    this.#skewMs = spec.skewMs ?? 0
    this.#env = env
  }

  get incarnation (): Incarnation | undefined { return this.#current }
  get running (): boolean { return this.status === 'running' }
  get skewMs (): number { return this.#skewMs }

  /** Changes the node's clock offset (takes effect at once, for the current incarnation too). */
  setSkew (ms: number): void {
    this.#skewMs = ms
    if (this.#current !== undefined) this.#current.clock.skewMs = ms
  }

  /**
   * Creates a fresh incarnation and starts only its transport (the scale bootstrap connects
   * every transport before any ring service starts); `start` goes on from there.
   */
  async prepare (): Promise<void> {
    if (this.status !== 'new' && this.status !== 'stopped' && this.status !== 'crashed' && this.status !== 'failed') return
    const inc = this.#create()
    this.status = 'starting'
    await inc.transport.start(new AbortController().signal)
  }

  /** Starts a fresh incarnation: transport, then replica (join pull), then lifecycler. */
  async start (): Promise<void> {
    if (this.status === 'running' || this.status === 'stopping') return
    if (this.status !== 'starting') await this.prepare()
    const inc = this.#current
    if (inc === undefined || this.#starting === inc) return
    this.#starting = inc
    const signal = new AbortController().signal
    try {
      await inc.replica.start(signal)
      await inc.lifecycler?.start(signal)
      if (this.#current === inc && this.status === 'starting') {
        this.status = 'running'
        this.runningSince = this.#env.scheduler.now()
      }
    } catch (err) {
      if (this.#current === inc && this.status === 'starting') {
        this.status = 'failed'
        this.#env.onError(this, err)
      }
    }
  }

  /** A graceful stop, in reverse order; the lifecycler gives up ownership first. */
  async stop (): Promise<void> {
    const inc = this.#current
    if (inc === undefined || (this.status !== 'running' && this.status !== 'starting')) return
    this.status = 'stopping'
    this.runningSince = undefined
    try {
      await inc.lifecycler?.stop()
      await inc.replica.stop()
      await inc.transport.stop()
    } catch (err) {
      this.#env.onError(this, err)
    }
    inc.clock.kill()
    if (this.#current === inc) this.status = 'stopped'
  }

  /** SIGKILL: the links drop and no timer fires again; nothing the node would say gets out. */
  crash (): void {
    const inc = this.#current
    if (inc === undefined || this.status === 'crashed' || this.status === 'stopped') return
    inc.transport.kill()
    inc.clock.kill()
    this.status = 'crashed'
    this.runningSince = undefined
  }

  #create (): Incarnation {
    const { scheduler, network, seed, ring } = this.#env
    const number = ++this.#incarnations
    const config: RingConfig = {
      ...defaultsOf(ringSchema),
      ...ring,
      ...this.ringOverrides,
      instance_id: this.id,
      instance_zone: this.zone,
      partitions: this.partitions.map(String),
      join_members: this.seeds.filter((s) => s !== this.id).map((s) => simAddressPrefix + s),
    }
    const clock = new NodeClock(scheduler, this.#skewMs)
    const events = new RingEvents({ onError: (err) => this.#env.onError(this, err) })
    const transport = new SimTransport(this.id, network, clock)
    const random = derive(seed, `node ${this.id}#${number}`)
    const replica = new RingReplica({ nodeId: this.id, transport, clock, random, config, events })
    if (this.#env.validate) transport.validate = (from, message) => replica.validate(from, message)
    const lifecycler = this.withLifecycler ? new PartitionLifecycler({ replica, config, clock }) : undefined
    const inc: Incarnation = { number, clock, transport, replica, lifecycler, events, config }
    events.on('ring:changed', (d) => { if (this.#current === inc) this.#env.onRingChanged(this, d) })
    this.#current = inc
    return inc
  }
}
