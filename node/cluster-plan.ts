/**
 * The plan of `livestore cluster` (pure, no I/O): which nodes run in which zone, which partitions
 * each owns, which address (loopback, or the zone's network namespace) and ports each listens on
 * and the `livestore start` flags that say so.
 * node/cluster-command.ts carries the plan out.
 *
 * Partitions: every zone holds every partition (zone redundancy, read quorum 1). Inside a zone
 * of N nodes, node i owns the partitions p with p % N == i, so every node consumes a share. When
 * there are fewer partitions than nodes (P < N), nodes i ≥ P would own nothing; they own every
 * partition instead, as standbys: the ring makes the owner registered first the consumer, and
 * the command starts them only after the others are ready, joining through the first node of their
 * zone (`joinTarget`), so they take over a partition only when its consumer in their zone fails.
 */
import { InvalidArgumentError } from '../common/errors.ts'
import { join } from 'node:path'

export interface ClusterOptions {
  zones: number
  nodesPerZone: number
  partitions: number
  /** Root of the cluster's files: `<dataDir>/<node>/`, `<dataDir>/<node>.log`, the broker, the key. */
  dataDir: string
}

/** Where the broker and each zone's nodes listen: loopback, or each zone's network namespace. */
export interface ClusterAddresses {
  broker: string
  zone: (zone: string) => string
}

export const loopbackAddresses: ClusterAddresses = { broker: '127.0.0.1', zone: () => '127.0.0.1' }

export interface PlannedNode {
  /** `<zone>-<index>`, also its `live_store.instance_id`. */
  name: string
  zone: string
  index: number
  partitions: number[]
  /** Owns every partition only to stand by (P < N); started after the others. */
  standby: boolean
  /** The address it listens and is reached on. */
  host: string
  http: number
  otlp: number
  /** The libp2p port (`memberlist.bind_port`). */
  gossip: number
  /** `--data-dir` of the node: its WAL and `memberlist/peer.key`. */
  dir: string
  log: string
}

export interface ClusterPlan {
  zones: string[]
  partitions: number
  broker: { host: string, port: number, dir: string, log: string }
  keyFile: string
  nodes: PlannedNode[]
}

export const maxZones = 26
/** Short, so a local cluster's partitions turn active seconds after its zones are up. */
export const minOwnersDuration = '2s'

/** Zone names `a`, `b`, … */
export function zoneNames (zones: number): string[] {
  return Array.from({ length: zones }, (_, i) => String.fromCharCode(97 + i))
}

/** The partitions node `index` of a zone owns (see the file comment). */
export function partitionsOfNode (index: number, nodesPerZone: number, partitions: number): { partitions: number[], standby: boolean } {
  const all = Array.from({ length: partitions }, (_, p) => p)
  const share = all.filter((p) => p % nodesPerZone === index)
  return share.length > 0 ? { partitions: share, standby: false } : { partitions: all, standby: true }
}

/** Ports the plan needs: http, otlp and gossip per node, then the broker. */
export function portsNeeded (o: Pick<ClusterOptions, 'zones' | 'nodesPerZone'>): number {
  return 3 * o.zones * o.nodesPerZone + 1
}

/** `count` consecutive ports from `base` (`--base-port`). */
export function consecutivePorts (base: number, count: number): number[] {
  if (!Number.isInteger(base) || base < 1 || base + count - 1 > 65535) throw new InvalidArgumentError(`--base-port must leave room for ${count} consecutive ports below 65536, got ${base}`)
  return Array.from({ length: count }, (_, i) => base + i)
}

/**
 * The nodes in start order (zone by zone), node k on ports[3k..3k+2] (http, otlp, gossip), the
 * broker on the last port.
 */
export function planCluster (o: ClusterOptions, ports: readonly number[], addresses: ClusterAddresses = loopbackAddresses): ClusterPlan {
  if (ports.length < portsNeeded(o)) throw new InvalidArgumentError(`the cluster needs ${portsNeeded(o)} ports, got ${ports.length}`)
  const zones = zoneNames(o.zones)
  const nodes: PlannedNode[] = []
  for (const zone of zones) {
    for (let index = 0; index < o.nodesPerZone; index++) {
      const k = nodes.length
      const name = `${zone}-${index}`
      nodes.push({
        name,
        zone,
        index,
        ...partitionsOfNode(index, o.nodesPerZone, o.partitions),
        host: addresses.zone(zone),
        http: ports[3 * k] as number,
        otlp: ports[3 * k + 1] as number,
        gossip: ports[3 * k + 2] as number,
        dir: join(o.dataDir, name),
        log: join(o.dataDir, `${name}.log`),
      })
    }
  }
  return {
    zones,
    partitions: o.partitions,
    broker: { host: addresses.broker, port: ports[3 * nodes.length] as number, dir: join(o.dataDir, 'broker'), log: join(o.dataDir, 'broker.log') },
    keyFile: join(o.dataDir, 'cluster.key'),
    nodes,
  }
}

/**
 * The node `node` joins the cluster through: the first node for the nodes that own partitions;
 * for a standby, the first node of its own zone, whose view of that zone (its own owner entries
 * and heartbeats) is the freshest, so the standby does not take itself for the consumer while
 * the ring converges. Undefined for the first node.
 */
export function joinTarget (plan: ClusterPlan, node: PlannedNode): PlannedNode | undefined {
  const first = plan.nodes[0]
  if (node === first) return undefined
  return node.standby ? plan.nodes.find((n) => n.zone === node.zone && n.index === 0) : first
}

/** The libp2p address other nodes join through: `/ip4/<host>/tcp/<gossip>/p2p/<peer id>`. */
export function joinAddress (node: PlannedNode, peerId: string): string {
  return `/ip4/${node.host}/tcp/${node.gossip}/p2p/${peerId}`
}

/**
 * The config keys a node is started with. `join` is the first node's address (absent for the
 * first node itself); `extra` are the user's `--section.key` flags, which win.
 */
export function nodeFlags (plan: ClusterPlan, node: PlannedNode, join: string | undefined, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    'kafka.brokers': `${plan.broker.host}:${plan.broker.port}`,
    'kafka.topic_partitions': String(plan.partitions),
    'server.http_listen_address': node.host,
    'server.http_listen_port': String(node.http),
    'distributor.otlp_http_listen_address': node.host,
    'distributor.otlp_http_listen_port': String(node.otlp),
    'memberlist.enabled': 'true',
    'memberlist.bind_addr': node.host,
    'memberlist.bind_port': String(node.gossip),
    'memberlist.key_file': plan.keyFile,
    ...(join === undefined ? {} : { 'memberlist.join_members': join }),
    'live_store.instance_id': node.name,
    'live_store.instance_zone': node.zone,
    'live_store.partitions': node.partitions.join(','),
    'live_store.partition_ring.min_partition_owners_count': String(plan.zones.length),
    'live_store.partition_ring.min_partition_owners_duration': minOwnersDuration,
    ...extra,
  }
}

/** `livestore start` arguments for a node: `--data-dir` and the flags as `--key value` words. */
export function startArgs (node: PlannedNode, flags: Readonly<Record<string, string>>): string[] {
  return ['start', '--data-dir', node.dir, ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])]
}

/** With `--netns`: the node's namespace, and the host-side veth whose link cuts its zone off. */
export interface NodeNetwork { netns: string, veth: string }

/** The one JSON line printed per ready node (`--json`). */
export function readyLine (node: PlannedNode, pid: number, network?: NodeNetwork): string {
  return JSON.stringify({ node: node.name, zone: node.zone, pid, host: node.host, http: node.http, otlp: node.otlp, ...network }) + '\n'
}

/** The human line printed per ready node. */
export function readyText (node: PlannedNode, pid: number, network?: NodeNetwork): string {
  const owns = `${node.standby ? 'standby for' : 'owns'} partition${node.partitions.length === 1 ? '' : 's'} ${node.partitions.join(',')}`
  const ns = network === undefined ? '' : `  netns ${network.netns}`
  return `node ${node.name}  pid ${pid}  query http://${node.host}:${node.http}  otlp http://${node.host}:${node.otlp}/v1/traces  gossip ${node.host}:${node.gossip}  ${owns}${ns}  log ${node.log}\n`
}
