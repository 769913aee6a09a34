/**
 * Multi-node ring scenarios for tests (not used by production code): N nodes, each a memory
 * transport + `RingReplica` + `PartitionLifecycler`, on one `MemoryNetwork` driven by one
 * `ManualClock`, with a seeded `Random` per node. `advance` moves time in small steps and lets
 * every queued message and promise settle after each, and calls `check` after every step so a
 * test can assert an invariant "at every tick".
 */
import { seededRandom } from '../common/random.ts'
import { ManualClock } from '../test/fakes/clock.ts'
import { defaultsOf } from '../common/config-schema.ts'
import { ringSchema } from './config.ts'
import type { RingConfig } from './config.ts'
import { RingEvents } from './events.ts'
import { RingReplica } from './gossip.ts'
import { PartitionLifecycler } from './lifecycler.ts'
import type { LifecyclerDeps } from './lifecycler.ts'
import { MemoryNetwork } from './transport/memory.ts'
import type { MemoryTransport } from './transport/memory.ts'

export const T0 = 1_700_000_000_000

export interface TestNode {
  readonly id: string
  readonly config: RingConfig
  readonly transport: MemoryTransport
  readonly replica: RingReplica
  readonly lifecycler: PartitionLifecycler
  readonly events: RingEvents
  running: boolean
}

export interface NodeOptions extends Partial<RingConfig> {
  createPartitionOnStartup?: boolean
  releasePartitions?: LifecyclerDeps['releasePartitions']
}

/** Lets every pending microtask and immediate settle (memory transport with 0 latency). */
export async function settle (rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export class TestCluster {
  readonly clock = new ManualClock(T0)
  readonly network: MemoryNetwork
  readonly nodes = new Map<string, TestNode>()
  readonly #seed: number
  #nodeCount = 0
  /** Called after every step of `advance`. */
  check: () => void = () => undefined

  constructor (seed = 1, latencyMs = 0) {
    this.#seed = seed
    this.network = new MemoryNetwork({ clock: this.clock, latencyMs })
  }

  /** Creates (or re-creates, for a restart) a node; it starts with `start`. */
  add (id: string, zone: string, partitions: number[], options: NodeOptions = {}): TestNode {
    const { createPartitionOnStartup, releasePartitions, ...overrides } = options
    const config: RingConfig = { ...defaultsOf(ringSchema), instance_id: id, instance_zone: zone, partitions: partitions.map(String), ...overrides }
    const events = new RingEvents({ onError: (err) => { throw err } })
    const transport = this.network.createTransport(id)
    const random = seededRandom(this.#seed * 1000 + this.#nodeCount++)
    const replica = new RingReplica({ nodeId: id, transport, clock: this.clock, random, config, events })
    const deps: LifecyclerDeps = { replica, config, clock: this.clock }
    if (createPartitionOnStartup !== undefined) deps.createPartitionOnStartup = createPartitionOnStartup
    if (releasePartitions !== undefined) deps.releasePartitions = releasePartitions
    const node: TestNode = { id, config, transport, replica, lifecycler: new PartitionLifecycler(deps), events, running: false }
    this.nodes.set(id, node)
    return node
  }

  node (id: string): TestNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  /** Starts transport, replica (join pull) and lifecycler, in dependency order. */
  async start (id: string): Promise<void> {
    const n = this.node(id)
    const signal = new AbortController().signal
    await n.transport.start(signal)
    await this.pump(n.replica.start(signal))
    await this.pump(n.lifecycler.start(signal))
    n.running = true
    await settle()
  }

  /** A graceful stop, in reverse order: lifecycler (gives up ownership), replica, transport. */
  async stop (id: string): Promise<void> {
    const n = this.node(id)
    n.running = false
    await this.pump(n.lifecycler.stop())
    await this.pump(n.replica.stop())
    await n.transport.stop()
    await settle()
  }

  /** A crash: the network link goes first, so nothing the node says on the way down arrives. */
  async crash (id: string): Promise<void> {
    const n = this.node(id)
    n.running = false
    await n.transport.stop()
    await n.lifecycler.stop()
    await n.replica.stop()
    await settle()
  }

  /**
   * Awaits `p`, moving time on in 10 ms steps while it is pending: with network latency, a join
   * pull or a published tombstone needs the clock to move before it arrives.
   */
  async pump<T> (p: Promise<T>): Promise<T> {
    let done = false
    const settled = p.finally(() => { done = true })
    await settle()
    while (!done) {
      this.clock.advance(10)
      await settle()
    }
    return await settled
  }

  /** Moves time forward by `ms` in `stepMs` steps, settling and checking after each. */
  async advance (ms: number, stepMs = 100): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - done))
      await settle()
      this.check()
    }
  }

  running (): TestNode[] {
    return [...this.nodes.values()].filter((n) => n.running)
  }

  /** Stops every running node (gracefully) so no timer outlives the test. */
  async close (): Promise<void> {
    for (const n of this.running()) await this.stop(n.id)
  }
}

/** `config.join_members` pointing at the given nodes (memory transport addresses). */
export function joinVia (...ids: string[]): { join_members: string[] } {
  return { join_members: ids.map((id) => `/memory/${id}`) }
}
