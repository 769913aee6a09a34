import { readFile } from 'node:fs/promises'
import type { Agent } from 'node:http'
import { httpRequest, sleep } from '../../bench/helpers/http.ts'
import { apiBase, commandLineOf, killQuietly, ringOf, startLocalCluster, waitHealthy } from '../../bench/helpers/local-cluster.ts'
import { runCommand } from '../../node/cluster-netns.ts'
import type { ClusterNode, LocalCluster } from '../../bench/helpers/local-cluster.ts'

/**
 * Control of a real-process cluster for the chaos run: `livestore cluster --json` through
 * bench/helpers/local-cluster.ts, plus what the faults need: each node's state as the run sees
 * it, its command line (read up front, so a killed node restarts on the same data and ports),
 * SIGKILL / SIGSTOP / SIGCONT / SIGTERM, cutting a zone off the network and healing it (with
 * network namespaces: `livestore cluster --netns`), and the partition owners from the ring, so
 * the prober can tell whether every partition still has a live owner it can reach.
 */
export type NodeState = 'up' | 'down' | 'stopped' | 'starting' | 'cut'

export interface ChaosNode extends ClusterNode { state: NodeState, argv: string[] }

export interface ChaosCluster {
  readonly nodes: ChaosNode[]
  readonly partitions: number
  zone: (z: string) => ChaosNode[]
  zones: () => string[]
  /** True when every partition has at least one owner in state `up`. */
  covered: () => boolean
  kill: (nodes: readonly ChaosNode[]) => Promise<void>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once every process is gone. */
  terminate: (nodes: readonly ChaosNode[], graceMs?: number) => Promise<void>
  freeze: (node: ChaosNode) => void
  thaw: (node: ChaosNode) => void
  /** True when zones run in network namespaces, so `cut` and `heal` can work. */
  readonly cuttable: boolean
  /** Sets the zone's veth down: its nodes run on but nothing reaches them (state `cut`). */
  cut: (zone: string) => Promise<void>
  heal: (zone: string) => Promise<void>
  /** Restarts from the saved command lines; resolves when every one answers /ready (false on timeout). */
  restart: (nodes: readonly ChaosNode[], timeoutMs: number) => Promise<boolean>
  /** Every node's ring view healthy (all members, all owners): call with every node up. */
  healthy: (timeoutMs: number) => Promise<boolean>
  /** The cluster's data directory (`<node>.log` in it). */
  readonly dir: string
  stderr: () => string
  stop: () => Promise<void>
}

/** Gone, or a zombie its parent has not reaped yet (Linux /proc). */
async function isGone (pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
}

async function waitGone (pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (await isGone(pid)) return true
    await sleep(50)
  }
  return false
}

export async function waitReady (node: ClusterNode, agent: Agent, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const status = await httpRequest(`${apiBase(node)}/ready`, { agent, timeoutMs: 2000 }).then((r) => r.status, () => 0)
    if (status === 200) return true
    await sleep(200)
  }
  return false
}

export async function startChaosCluster (o: { zones: number, nodesPerZone: number, partitions: number, extra?: string[], keepDir?: boolean, netns?: boolean }, agent: Agent): Promise<ChaosCluster> {
  const local: LocalCluster = await startLocalCluster({ ...o, readyTimeoutMs: 120_000 })
  const nodes: ChaosNode[] = local.nodes.map((n) => Object.assign(n, { state: 'up' as NodeState, argv: commandLineOf(n.pid) }))
  const owners = new Map<number, string[]>()
  try {
    if (!await waitHealthy(nodes, o.partitions, agent, 60_000)) throw new Error('the cluster did not turn healthy within 60 s')
    const ring = await ringOf(nodes[0] as ClusterNode, agent)
    for (const p of ring.partitions) owners.set(p.id, p.owners.map((w) => w.nodeId))
  } catch (err) {
    await local.stop()
    throw err
  }
  const byId = new Map<string, ChaosNode>()
  // The ring names nodes by peer id; /api/ring of each node names itself.
  for (const n of nodes) byId.set((await ringOf(n, agent)).node.id, n)
  return {
    nodes,
    partitions: o.partitions,
    zone: (z) => nodes.filter((n) => n.zone === z),
    zones: () => [...new Set(nodes.map((n) => n.zone))].sort(),
    covered: () => [...owners.values()].every((ids) => ids.some((id) => byId.get(id)?.state === 'up')),
    kill: async (victims) => {
      for (const n of victims) { killQuietly(n.pid); n.state = 'down' }
      await Promise.all(victims.map((n) => waitGone(n.pid, 10_000)))
    },
    terminate: async (victims, graceMs = 35_000) => {
      for (const n of victims) { n.state = 'down'; killQuietly(n.pid, 'SIGTERM') }
      await Promise.all(victims.map(async (n) => { if (!await waitGone(n.pid, graceMs)) { killQuietly(n.pid); await waitGone(n.pid, 5000) } }))
    },
    freeze: (n) => { n.state = 'stopped'; killQuietly(n.pid, 'SIGSTOP') },
    thaw: (n) => { killQuietly(n.pid, 'SIGCONT'); n.state = 'up' },
    cuttable: nodes.every((n) => n.veth !== undefined),
    cut: (zone) => setZoneLink(nodes.filter((n) => n.zone === zone), zone, 'down'),
    heal: (zone) => setZoneLink(nodes.filter((n) => n.zone === zone), zone, 'up'),
    restart: async (victims, timeoutMs) => {
      for (const n of victims) { local.restart(n, n.argv); n.state = 'starting' }
      const ready = await Promise.all(victims.map(async (n) => {
        const ok = await waitReady(n, agent, timeoutMs)
        if (ok) n.state = 'up'
        return ok
      }))
      return ready.every((r) => r)
    },
    healthy: (timeoutMs) => waitHealthy(nodes, o.partitions, agent, timeoutMs),
    dir: local.dir,
    stderr: () => local.stderr(),
    stop: async () => {
      // A frozen process ignores SIGTERM until it is continued.
      for (const n of nodes) if (n.state === 'stopped') killQuietly(n.pid, 'SIGCONT')
      await local.stop()
    },
  }
}

/**
 * Sets the host-side veth of a zone (`livestore cluster --netns` prints it per node) down or
 * up; its running nodes are `cut` while it is down.
 */
async function setZoneLink (zoneNodes: readonly ChaosNode[], zone: string, link: 'up' | 'down'): Promise<void> {
  const veth = zoneNodes[0]?.veth
  if (veth === undefined) throw new Error(`zone ${zone} does not run in a network namespace`)
  await runCommand(['ip', 'link', 'set', veth, link])
  const [from, to]: [NodeState, NodeState] = link === 'down' ? ['up', 'cut'] : ['cut', 'up']
  for (const n of zoneNodes) if (n.state === from) n.state = to
}
