import { parseArgs } from 'node:util'
import type { NetworkTuning } from '../ring/transport/libp2p-node.ts'
import { generateClusterKey } from '../ring/transport/psk.ts'
import { quantile, sleep } from './helpers/http.ts'
import { forkRingNode, startRingNode } from './helpers/ring-node.ts'
import type { RingNode, RingNodeOptions, RingNodeStatus } from './helpers/ring-node.ts'
import { report } from './report.ts'

/**
 * Ring convergence over real libp2p (issue 5). N nodes on 127.0.0.1, each a libp2p transport
 * (one cluster key, its own peer key in its own temp dir) + `RingReplica` + `PartitionLifecycler`
 * wired like node/cluster.ts (helpers/ring-node.ts; default ring settings: heartbeat 1 s,
 * anti-entropy 30 s). Node 0 starts first; the others join through it (all at once, or
 * `--join-batch` at a time); the member dialer then connects everyone to everyone.
 *
 * Per N: the time until every node is connected to every other, and until every ring holds the
 * same registers with every partition active; then `--changes` ring changes, one at a time (a
 * rotating writer creates a new partition with `replica.edit`), each timed from just before the
 * edit until every replica has committed it (`ring:changed`): p50/p99/max (a change still missing
 * after 45 s, past one anti-entropy round, counts as a timeout); then a quiet period
 * (heartbeats every second, reconciles) with the gossip bytes per node: the ring's own payload
 * (`livestore_ring_gossip_bytes_total`: deltas and push/pull) and everything libp2p writes on the
 * wire (TCP bytes of every socket: gossipsub envelopes and control, pings, identify, Noise/Yamux).
 *
 * Modes: by default every node lives in this one process (one event loop for all: pessimistic;
 * measurements.md budgets ~20 ms CPU per connection). `--processes` runs each node in its own
 * child process (helpers/ring-node-child.ts, timestamps taken in the children), as deployed.
 * Each wait for the mesh gives up `--mesh-timeout-seconds` after the last start.
 * `--ping-timeout-ms` raises the floor of libp2p's connection-monitor ping timeout (production:
 * adaptive 0.5–2 s) to show how much of the in-process behaviour is ping timeouts.
 *   npm run bench -- ring-convergence [--nodes 3,10,30] [--changes 30] [--quiet-seconds 10]
 *     [--processes] [--join-batch K] [--ping-timeout-ms MS] [--mesh-timeout-seconds 120]
 */
const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3,10,30' },
    changes: { type: 'string', default: '30' },
    'quiet-seconds': { type: 'string', default: '10' },
    processes: { type: 'boolean', default: false },
    'join-batch': { type: 'string', default: '0' },
    'mesh-timeout-seconds': { type: 'string', default: '120' },
    'ping-timeout-ms': { type: 'string' },
  },
})
const sizes = values.nodes.split(',').map(Number)
const changes = Number(values.changes)
const quietMs = Number(values['quiet-seconds']) * 1000
const processes = values.processes
const joinBatch = Number(values['join-batch'])
const meshTimeoutMs = Number(values['mesh-timeout-seconds']) * 1000
const pingTimeoutMs = values['ping-timeout-ms'] === undefined ? undefined : Number(values['ping-timeout-ms'])
const network: Partial<NetworkTuning> | undefined = pingTimeoutMs === undefined ? undefined : { pingTimeoutMinMs: pingTimeoutMs, pingTimeoutMaxMs: Math.max(pingTimeoutMs, 2000) }
const bench = 'ring-convergence'
const firstChangeId = 1_000_000

const live: RingNode[] = []
let currentN = 0

async function startNode (o: RingNodeOptions): Promise<RingNode> {
  const node = processes ? await forkRingNode(o) : await startRingNode(o)
  live.push(node)
  return node
}

/** Stops every node, bounded (each stop also removes the node's temp dir). */
async function stopAll (): Promise<void> {
  const nodes = live.splice(0)
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    Promise.all(nodes.map((n) => n.stop().catch(() => undefined))),
    new Promise((resolve) => { timer = setTimeout(resolve, 45_000) }),
  ])
  clearTimeout(timer)
}

/** Polls `condition` until it holds (true) or `timeoutMs` passed (false). */
async function waitUntil (condition: () => Promise<boolean> | boolean, timeoutMs: number, stepMs: number): Promise<boolean> {
  const t0 = performance.now()
  while (!await condition()) {
    if (performance.now() - t0 > timeoutMs) return false
    await sleep(stepMs)
  }
  return true
}

const statuses = (nodes: readonly RingNode[]): Promise<RingNodeStatus[]> => Promise.all(nodes.map((x) => x.status()))

/** Sums per-node counters; process-wide probes once per process (once in total in-process). */
function totals (ss: readonly RingNodeStatus[]): { wire: number, cpuMicros: number, disconnects: number, maxLoopDelayMs: number } {
  const perProcess = processes ? ss : ss.slice(0, 1)
  return {
    wire: perProcess.reduce((a, s) => a + s.processWireBytes, 0),
    cpuMicros: perProcess.reduce((a, s) => a + s.processCpuMicros, 0),
    disconnects: ss.reduce((a, s) => a + s.disconnects, 0),
    maxLoopDelayMs: Math.max(...perProcess.map((s) => s.processMaxLoopDelayMs)),
  }
}

let disconnectsSoFar = 0

/** Ends a phase: its disconnects (peer-down events) and worst event-loop delay, and every node's status. */
async function phase (nodes: readonly RingNode[]): Promise<{ disconnects: number, maxLoopDelayMs: number, at: RingNodeStatus[] }> {
  const at = await statuses(nodes)
  await Promise.all((processes ? nodes : nodes.slice(0, 1)).map((n) => n.markPhase()))
  const t = totals(at)
  const disconnects = t.disconnects - disconnectsSoFar
  disconnectsSoFar = t.disconnects
  return { disconnects, maxLoopDelayMs: t.maxLoopDelayMs, at }
}

async function run (n: number): Promise<void> {
  const params = { nodes: n, mode: processes ? 'processes' : 'one-process', joinBatch: joinBatch === 0 ? n - 1 : joinBatch, ...(network === undefined ? {} : { network }) }
  const clusterKey = generateClusterKey()
  disconnectsSoFar = 0
  const t0 = performance.now()
  const first = await startNode({ index: 0, clusterKey, seeds: [], ...(network === undefined ? {} : { network }) })
  const crashes: string[] = []
  void first.died.then((why) => crashes.push(`n00 ${why}`))
  const meshed = (nodes: readonly RingNode[]) => async (): Promise<boolean> =>
    crashes.length === 0 && (await statuses(nodes)).every((s) => s.peers.length >= nodes.length - 1)
  // Every node connected to every other. Whether each also sees every other subscribed to the
  // topic is reported (topicPairsMissing), not waited for: deltas reach such a peer through the
  // others' gossipsub forwarding.
  const topicPairsMissing = (ss: readonly RingNodeStatus[]): number => ss.reduce((sum, s) => sum + Math.max(0, n - 1 - s.topicPeers.length), 0)
  const pollMs = processes ? 200 : 50
  let formed = true
  const batch = joinBatch === 0 ? n - 1 : joinBatch
  for (let next = 1; next < n && formed; next += batch) {
    const count = Math.min(batch, n - next)
    const joined = await Promise.all(Array.from({ length: count }, (_, i) => startNode({ index: next + i, clusterKey, seeds: [first.address], ...(network === undefined ? {} : { network }) })))
    for (const j of joined) void j.died.then((why) => crashes.push(`${j.id} ${why}`))
    if (next + count < n) formed = await waitUntil(meshed([...live]), meshTimeoutMs, pollMs)
  }
  const started = performance.now() - t0
  const nodes = [...live]
  if (formed) formed = await waitUntil(meshed(nodes), meshTimeoutMs, pollMs)
  const meshMs = performance.now() - t0
  report(bench, 'start_ms', started, 'ms', { ...params, what: 'all nodes started (joined through node 0, registered)' })
  if (!formed) {
    const ss = crashes.length === 0 ? await statuses(nodes) : []
    const f = crashes.length === 0 ? await phase(nodes) : undefined
    const peers = ss.map((s) => s.peers.length).sort((a, b) => a - b)
    report(bench, 'mesh_not_formed_after_ms', meshMs, 'ms', {
      ...params, started: nodes.length, afterLastStartMs: Math.round(meshMs - started), crashes, disconnects: f?.disconnects, maxLoopDelayMs: f?.maxLoopDelayMs, peersMin: peers[0], peersMedian: quantile(peers, 0.5), topicPairsMissing: topicPairsMissing(ss),
      what: 'no full mesh before the deadline; nothing else measured at this N',
    })
    return
  }
  const converged = async (): Promise<boolean> => {
    const ss = await statuses(nodes)
    return new Set(ss.map((s) => s.digest)).size === 1 && ss.every((s) => s.members === n && s.activePartitions === n)
  }
  const same = await waitUntil(converged, 120_000, pollMs)
  const convergedMs = performance.now() - t0
  const formation = await phase(nodes)
  report(bench, 'mesh_formed_ms', meshMs, 'ms', { ...params, afterLastStartMs: Math.round(meshMs - started), disconnects: formation.disconnects, maxLoopDelayMs: formation.maxLoopDelayMs, what: 'from the first start until every node is connected to every other' })
  report(bench, 'initial_convergence_ms', convergedMs, 'ms', { ...params, converged: same, topicPairsMissing: topicPairsMissing(formation.at), what: 'until every ring is identical with every partition active (includes min_partition_owners_duration 2 s)' })
  if (!same) return

  // Ring changes, one at a time: a rotating writer creates a new partition.
  let current: { id: number, seen: Map<number, number> } | undefined
  await Promise.all(nodes.map((x) => x.onSeen(firstChangeId, (partition, at) => {
    if (current !== undefined && partition === current.id && !current.seen.has(x.index)) current.seen.set(x.index, at)
  })))
  const lat: number[] = []
  /** Changes that took over 1 s (or never arrived) and the nodes that got them late. */
  const slow: { change: number, writer: string, ms: number | null, late: string[] }[] = []
  let timeouts = 0
  for (let k = 0; k < changes && crashes.length === 0; k++) {
    const writer = nodes[(k * 7) % n] as RingNode
    const change = { id: firstChangeId + k, seen: new Map<number, number>() }
    current = change
    const at = await writer.createPartition(change.id)
    // 45 s covers one anti-entropy round (30 s ± 25 %), the repair for a delta gossip lost.
    if (await waitUntil(() => change.seen.size === n, 45_000, 2)) {
      const ms = Math.max(...change.seen.values()) - at
      lat.push(ms)
      if (ms > 1000) slow.push({ change: k, writer: writer.id, ms: Math.round(ms), late: nodes.filter((x) => (change.seen.get(x.index) ?? Infinity) - at > 1000).map((x) => x.id) })
    } else {
      timeouts++
      slow.push({ change: k, writer: writer.id, ms: null, late: nodes.filter((x) => !change.seen.has(x.index)).map((x) => x.id) })
    }
    current = undefined
    await sleep(100)
  }
  lat.sort((a, b) => a - b)
  const during = await phase(nodes)
  const cparams = { ...params, changes: lat.length, timeouts, slow: slow.slice(0, 5), crashes, writers: Math.min(n, changes), topicPairsMissing: topicPairsMissing(during.at), disconnects: during.disconnects, maxLoopDelayMs: during.maxLoopDelayMs }
  report(bench, 'change_all_nodes_p50_ms', quantile(lat, 0.5), 'ms', cparams)
  report(bench, 'change_all_nodes_p99_ms', quantile(lat, 0.99), 'ms', cparams)
  report(bench, 'change_all_nodes_max_ms', lat[lat.length - 1] ?? NaN, 'ms', cparams)
  if (crashes.length > 0) return

  // Quiet period: heartbeats (1 s) and reconciles only.
  await sleep(3000)
  const before = (await phase(nodes)).at
  const q0 = performance.now()
  await sleep(quietMs)
  const after = await statuses(nodes)
  const seconds = (performance.now() - q0) / 1000
  const b = totals(before)
  const a = totals(after)
  const perNode = after.map((s, i) => {
    const s0 = before[i] as RingNodeStatus
    return { out: (s.bytesOut - s0.bytesOut) / seconds, in: (s.bytesIn - s0.bytesIn) / seconds, deltas: (s.deltasOut - s0.deltasOut) / seconds }
  })
  const mean = (f: (x: typeof perNode[number]) => number): number => perNode.reduce((sum, x) => sum + f(x), 0) / n
  const qparams = { ...params, seconds: Math.round(seconds * 10) / 10, disconnects: a.disconnects - b.disconnects, maxLoopDelayMs: a.maxLoopDelayMs }
  report(bench, 'quiet_ring_payload_out_bytes_per_s_per_node', mean((x) => x.out), 'B/s', { ...qparams, max: Math.round(Math.max(...perNode.map((x) => x.out))), what: 'ring deltas + push/pull payload sent (livestore_ring_gossip_bytes_total)' })
  report(bench, 'quiet_ring_payload_in_bytes_per_s_per_node', mean((x) => x.in), 'B/s', { ...qparams, max: Math.round(Math.max(...perNode.map((x) => x.in))) })
  report(bench, 'quiet_deltas_out_per_s_per_node', mean((x) => x.deltas), '1/s', qparams)
  report(bench, 'quiet_wire_bytes_per_s_per_node', (a.wire - b.wire) / seconds / n, 'B/s', { ...qparams, what: 'TCP bytes written by every libp2p socket / nodes (gossipsub, pings, identify, framing)' })
  report(bench, 'quiet_cpu_cores_per_node', (a.cpuMicros - b.cpuMicros) / 1e6 / seconds / n, 'cores', { ...qparams, total: Math.round((a.cpuMicros - b.cpuMicros) / 1e4 / seconds) / 100 })
}

let exitCode = 0
let finishing = false
let bails = 0
const bail = (why: string, err?: unknown): void => {
  if (bails++ === 0) {
    console.error(`ring-convergence: ${why}`, err ?? '')
    report(bench, 'aborted', 1, 'run', { nodes: currentN, mode: processes ? 'processes' : 'one-process', why, error: err instanceof Error ? err.message : undefined })
  }
  else if (bails === 2) console.error('ring-convergence: (further errors while stopping not shown)')
  if (finishing) return
  finishing = true
  void stopAll().finally(() => process.exit(1))
}
process.once('SIGINT', () => bail('interrupted'))
process.once('SIGTERM', () => bail('terminated'))
// A throw inside libp2p's send path (seen: @libp2p/pnet's xsalsa20 out of WASM memory) is
// uncaught: report it, stop every node, fail.
process.on('uncaughtException', (err) => bail('uncaught exception:', err))
try {
  for (const n of sizes) {
    currentN = n
    await run(n)
    await stopAll()
  }
} catch (err) {
  console.error('ring-convergence failed:', err)
  exitCode = 1
} finally {
  finishing = true
  await stopAll()
}
// libp2p may hold a closed socket's handle for a moment; nothing is left to wait for.
process.exit(exitCode)
