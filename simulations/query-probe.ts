/**
 * Query availability with the real routing code: a querier's ring view adapted to the fan-out's
 * `ClusterView` the way node/node.ts and node/cluster.ts adapt it (partitions = every live
 * partition but pending ones; owners with the zone's consumer first; healthy = this node, or a
 * fresh heartbeat, or a live connection), and `PartitionFanout` (query/cluster) run with a fake
 * `ask`: an owner answers after a round trip when it runs and the network lets the querier
 * reach it, and never otherwise (a lost zone's hosts do not refuse connections, they vanish), so
 * the fan-out's hedge and deadline do the rerouting.
 */
import { UnavailableError } from '../common/errors.ts'
import type { Random } from '../common/random.ts'
import { PartitionFanout, orderCandidates } from '../query/cluster/index.ts'
import type { ClusterView, PartitionOwner } from '../query/cluster/index.ts'
import { consumerCandidates } from '../ring/ownership.ts'
import { isHealthy, listPartitions, ownersOf } from '../ring/read.ts'
import type { SimCluster } from './cluster.ts'
import { sampleLatency } from './latency.ts'
import type { SimNode } from './node.ts'

/** `query.hedge_after` default (query/config.ts). */
export const hedgeAfterMs = 100
/** A probe's deadline: shorter than `query.trace_by_id_timeout` (10 s) so probes do not pile up. */
export const probeTimeoutMs = 2_000

/** The querier's view of the ring, as node/ builds it for trace by id and search. */
export function clusterViewOf (node: SimNode): ClusterView {
  const inc = node.incarnation
  if (inc === undefined) throw new Error(`${node.id} has never started`)
  const { replica, clock, config, transport } = inc
  return {
    selfId: node.id,
    preferredZone: node.zone,
    partitions: () => listPartitions(replica.ring).filter((p) => p.state !== 'pending').map((p) => p.id),
    owners: (p): PartitionOwner[] => {
      const s = replica.ring
      const now = clock.now()
      const connected = new Set(transport.peers())
      const rank = new Map<string, number>()
      const owners = ownersOf(s, p)
      for (const zone of new Set(owners.map((o) => o.zone))) {
        consumerCandidates(s, p, zone, { now, heartbeatTimeoutMs: config.heartbeat_timeout }).forEach((o, i) => rank.set(o.ownerId, i))
      }
      return owners
        .map((o) => ({ nodeId: o.ownerId, zone: o.zone, healthy: o.ownerId === node.id || isHealthy(s, o.ownerId, now, config.heartbeat_timeout) || connected.has(o.ownerId), catchingUp: false }))
        .sort((a, b) => (rank.get(a.nodeId) ?? Infinity) - (rank.get(b.nodeId) ?? Infinity))
    },
  }
}

export interface ProbeResult {
  /** Partitions some owner answered for. */
  answered: Set<number>
  /** Partitions the querier's view routed to (every live non-pending partition it knows). */
  asked: number
}

/** One query from `querier` across the cluster; resolves when the fan-out finishes. */
export async function probeQuery (sim: SimCluster, querier: SimNode, random: Random): Promise<ProbeResult> {
  const inc = querier.incarnation
  if (inc === undefined) throw new Error(`${querier.id} has never started`)
  const view = clusterViewOf(querier)
  const answer = new Uint8Array(1)
  const fanout = new PartitionFanout({
    view,
    clock: inc.clock,
    hedgeAfterMs,
    ask: (nodeId, _request, signal) => new Promise<Uint8Array>((resolve, reject) => {
      const target = sim.nodes.get(nodeId)
      const onAbort = (): void => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      if (target === undefined || !target.running || !sim.network.reachable(querier.id, nodeId)) return
      const p = sim.network.profile(querier.id, nodeId)
      const rtt = sampleLatency(p.latency, random) + sampleLatency(p.latency, random)
      sim.scheduler.at(rtt, () => {
        signal.removeEventListener('abort', onAbort)
        if (target.running && sim.network.reachable(querier.id, nodeId)) resolve(answer)
        else reject(new UnavailableError(`${nodeId} went away`))
      })
    }),
  })
  try {
    const r = await fanout.run({ name: 'probe', timeoutMs: probeTimeoutMs, request: answer, local: async () => ({}), decode: () => ({}) })
    return { answered: new Set(r.answers.flatMap((a) => a.partitions)), asked: view.partitions().length }
  } catch (err) {
    if (err instanceof UnavailableError) return { answered: new Set(), asked: 0 }
    throw err
  }
}

/**
 * The owners a query from `querier` may try for each partition (healthy ones, in the fan-out's
 * order, query/cluster `orderCandidates`): the routing table that rerouting changes.
 */
export function routingOf (querier: SimNode): Map<number, string[]> {
  const view = clusterViewOf(querier)
  const out = new Map<number, string[]>()
  for (const p of view.partitions()) out.set(p, orderCandidates(view.owners(p), view.preferredZone).map((c) => c.nodeId))
  return out
}
