import { randomInt } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Registry } from 'prom-client'
import type { Clock } from '../common/clock.ts'
import { ConfigError, NotReadyError, UnavailableError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import type { Random } from '../common/random.ts'
import { ServiceBase } from '../common/service.ts'
import { PartitionLifecycler } from '../ring/lifecycler.ts'
import { RingReplica } from '../ring/gossip.ts'
import { RingEvents } from '../ring/events.ts'
import { createRingMetrics } from '../ring/metrics.ts'
import type { RingMetrics } from '../ring/metrics.ts'
import { consumerCandidates } from '../ring/ownership.ts'
import { getMember, isHealthy, listPartitions, ownersOf } from '../ring/read.ts'
import type { MemberView } from '../ring/read.ts'
import type { RingState } from '../ring/model.ts'
import type { RingConfig } from '../ring/config.ts'
import { peerIdOf } from '../ring/gossip-validate.ts'
import { splitChannels } from '../ring/transport/channels.ts'
import type { QueryChannel, RequestHandler } from '../ring/transport/channels.ts'
import { createLibp2pTransport } from '../ring/transport/libp2p.ts'
import { parseClusterKey } from '../ring/transport/psk.ts'
import type { GossipTransport } from '../ring/transport/types.ts'
import type { NodeConfig } from './config.ts'

/** What the node does when the ring gives or takes a partition (the partition reader). */
export interface PartitionConsumer {
  assign (partition: number): Promise<void>
  revoke (partition: number): Promise<void>
}

export interface ClusterDeps {
  config: NodeConfig
  clock: Clock
  logger: Logger
  registry: Registry
  consumer: PartitionConsumer
  /** Jitter of re-dials and anti-entropy peer choice (crypto-seeded by default). */
  random?: Random
  /** A transport to use instead of libp2p (tests, the simulator). */
  transport?: GossipTransport
  /** Answers other nodes' internal queries (registered before the transport listens). */
  serveQueries?: RequestHandler
}

/** One owner of a partition as a query sees it. */
export interface OwnerView { nodeId: string, zone: string, healthy: boolean }

/** The ring settings of a node's config, flat, as ring/ reads them. */
export function ringConfigOf (c: NodeConfig): RingConfig {
  return {
    ...c.live_store.partition_ring,
    instance_id: c.live_store.instance_id,
    instance_zone: c.live_store.instance_zone,
    partitions: [...c.live_store.partitions],
    tombstone_horizon: c.memberlist.tombstone_horizon,
    departure_horizon: c.memberlist.departure_horizon,
    max_clock_skew: c.memberlist.max_clock_skew,
    anti_entropy_interval: c.memberlist.anti_entropy_interval,
    join_members: [...c.memberlist.join_members],
  }
}

/**
 * The node's membership in the gossip cluster (`memberlist.enabled`): the libp2p transport
 * (cluster key, persisted peer key), the ring replica and the partition lifecycler, started in
 * that order and stopped in reverse. The lifecycler's `partition:assigned`/`revoked` events start
 * and stop the partition reader; on stop it revokes every partition (the reader commits and
 * stops) before the ownership is given up, so a standby never consumes at the same time.
 * The transport carries a second request channel for internal queries (ring/transport/channels.ts).
 */
export class ClusterMembership extends ServiceBase {
  readonly name = 'cluster'
  readonly ring: RingConfig
  readonly events: RingEvents
  readonly metrics: RingMetrics
  readonly #deps: ClusterDeps
  #transport: GossipTransport | undefined
  #query: QueryChannel | undefined
  #replica: RingReplica | undefined
  #lifecycler: PartitionLifecycler | undefined
  readonly #offs: (() => void)[] = []

  constructor (deps: ClusterDeps) {
    super()
    this.#deps = deps
    this.ring = ringConfigOf(deps.config)
    this.metrics = createRingMetrics(deps.registry)
    this.events = new RingEvents({ onError: (err, type) => deps.logger.error({ err, type }, 'ring event handler failed') })
  }

  get replica (): RingReplica {
    if (this.#replica === undefined) throw new NotReadyError('the cluster membership is not started')
    return this.#replica
  }

  get lifecycler (): PartitionLifecycler {
    if (this.#lifecycler === undefined) throw new NotReadyError('the cluster membership is not started')
    return this.#lifecycler
  }

  get query (): QueryChannel {
    if (this.#query === undefined) throw new NotReadyError('the cluster membership is not started')
    return this.#query
  }

  get transport (): GossipTransport | undefined { return this.#transport }

  /** The local ring view (undefined before start). */
  ringState (): RingState | undefined { return this.#replica?.ring }

  protected async doStart (signal: AbortSignal): Promise<void> {
    const { config, clock, logger, consumer } = this.#deps
    const random = this.#deps.random ?? { next: () => randomInt(2 ** 32) / 2 ** 32, int: (n: number) => randomInt(n) }
    // libp2p runs the ring's checks as the gossipsub topic validator, so a bad message is neither
    // forwarded nor unpunished (peer score); the replica exists before the transport starts.
    const created: { replica?: RingReplica } = {}
    const raw = this.#deps.transport ?? await createLibp2pTransport({
      listen: [`/ip4/${config.memberlist.bind_addr}/tcp/${config.memberlist.bind_port}`],
      keyDir: config.memberlist.data_dir,
      clusterKey: await loadClusterKey(config.memberlist.key_file, logger),
      topic: 'livestore/ring/v1',
      protocol: '/livestore/ring/1.0.0',
      clock,
      logger: logger.child({ component: 'libp2p' }),
      random,
      validate: (from, message) => created.replica?.validate(from, message) ?? 'ignore',
    })
    const { ring: transport, query } = splitChannels(raw)
    this.#transport = transport
    this.#query = query
    if (this.#deps.serveQueries !== undefined) query.serve(this.#deps.serveQueries)
    const replica = new RingReplica({ nodeId: this.ring.instance_id, transport, clock, random, config: this.ring, events: this.events, logger: logger.child({ component: 'ring' }), metrics: this.metrics })
    this.#replica = replica
    created.replica = replica
    this.#offs.push(
      this.events.on('partition:assigned', ({ partition }) => {
        logger.info({ partition }, 'partition assigned: consuming')
        consumer.assign(partition).catch((err: unknown) => logger.error({ err, partition }, 'starting the partition reader failed'))
      }),
      this.events.on('partition:revoked', ({ partition, reason }) => {
        if (reason === 'stopping') return // releasePartitions awaits these
        logger.info({ partition, reason }, 'partition revoked: stopping its reader')
        consumer.revoke(partition).catch((err: unknown) => logger.error({ err, partition }, 'stopping the partition reader failed'))
      }),
    )
    this.#lifecycler = new PartitionLifecycler({
      replica,
      config: this.ring,
      clock,
      logger: logger.child({ component: 'lifecycler' }),
      metrics: this.metrics,
      releasePartitions: async (partitions) => { await Promise.all(partitions.map((p) => consumer.revoke(p))) },
    })
    await transport.start(signal)
    await replica.start(signal)
    await this.#lifecycler.start(signal)
    logger.info({ nodeId: this.ring.instance_id, zone: this.ring.instance_zone, peerId: transport.localId, addresses: transport.addresses() }, 'joined the cluster')
  }

  protected async doStop (): Promise<void> {
    await this.#lifecycler?.stop()
    await this.#replica?.stop()
    await this.#transport?.stop()
    for (const off of this.#offs.splice(0)) off()
  }

  /** Partitions a query asks: every partition of the ring that is not deleted (active, pending, inactive). */
  queryPartitions (): number[] {
    const s = this.ringState()
    return s === undefined ? [] : listPartitions(s).filter((p) => p.state !== 'pending').map((p) => p.id)
  }

  /**
   * The owners of `partition` with their health: a member heartbeat fresher than
   * `heartbeat_timeout`, or a live connection to it (ownership and liveness are separate).
   * Within a zone the consumer comes first (ring/ownership.ts order): a standby holds no recent
   * data, so a query asks it only after the consumer.
   */
  ownersOf (partition: number): OwnerView[] {
    const s = this.ringState()
    if (s === undefined) return []
    const now = this.#deps.clock.now()
    const connected = new Set(this.#transport?.peers() ?? [])
    const rank = new Map<string, number>()
    for (const zone of new Set(ownersOf(s, partition).map((o) => o.zone))) {
      consumerCandidates(s, partition, zone, { now, heartbeatTimeoutMs: this.ring.heartbeat_timeout }).forEach((o, i) => rank.set(o.ownerId, i))
    }
    return ownersOf(s, partition)
      .map((o) => {
        const peer = this.peerOf(o.ownerId)
        const healthy = o.ownerId === this.ring.instance_id || isHealthy(s, o.ownerId, now, this.ring.heartbeat_timeout) || (peer !== undefined && connected.has(peer))
        return { nodeId: o.ownerId, zone: o.zone, healthy }
      })
      .sort((a, b) => (rank.get(a.nodeId) ?? Infinity) - (rank.get(b.nodeId) ?? Infinity))
  }

  /** The libp2p peer id of a member (from the `/p2p/…` of its advertised addresses). */
  peerOf (nodeId: string): string | undefined {
    const m = this.#member(nodeId)
    return m === undefined ? undefined : peerIdOf(m.addresses)
  }

  #member (nodeId: string): MemberView | undefined {
    const s = this.ringState()
    return s === undefined ? undefined : getMember(s, nodeId)
  }

  /**
   * Sends an internal query to a member, dialing it first when there is no connection yet (a
   * restarted peer the member dialer has not reached again, say).
   */
  async ask (nodeId: string, request: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const member = this.#member(nodeId)
    const peer = member === undefined ? undefined : peerIdOf(member.addresses)
    if (member === undefined || peer === undefined) throw new UnavailableError(`no address known for ${nodeId}`)
    const transport = this.#transport
    if (transport === undefined) throw new NotReadyError('the cluster membership is not started')
    if (!transport.peers().includes(peer)) {
      const address = member.addresses.find((a) => a.includes(`/p2p/${peer}`)) ?? member.addresses[0]
      if (address !== undefined) await transport.dial(address, { signal })
    }
    return await this.query.ask(peer, request, { signal })
  }

  /** Active partition ids, for write routing. */
  activePartitions (): number[] {
    const s = this.ringState()
    return s === undefined ? [] : listPartitions(s).filter((p) => p.state === 'active').map((p) => p.id)
  }
}

async function loadClusterKey (file: string, logger: Logger): Promise<Uint8Array | undefined> {
  if (file === '') {
    logger.warn('memberlist.key_file is empty: the cluster network is open to any host (development only); run `livestore keygen` and set memberlist.key_file')
    return undefined
  }
  try {
    return parseClusterKey(await readFile(file))
  } catch (err) {
    throw new ConfigError([{ key: 'memberlist.key_file', message: `cannot use ${file}: ${err instanceof Error ? err.message : String(err)}` }])
  }
}
