import { parseArgs } from 'node:util'
import { encodeMessage } from '../ring/codec/index.ts'
import type { MemberEntry, OwnerEntry, PartitionEntry } from '../ring/model.ts'
import { SimCluster } from '../simulations/cluster.ts'
import { NodeClock } from '../simulations/scheduler.ts'
import { runScenario } from '../simulations/run.ts'
import { ringOf } from '../simulations/rogue.ts'
import { scaleScenario } from '../simulations/scenarios/scale.ts'
import { scenarioRing, zonedNodes } from '../simulations/scenarios/common.ts'
import { zoneLossScenario } from '../simulations/scenarios/zone-loss.ts'
import { SimTransport, simAddressPrefix } from '../simulations/transport.ts'
import { report } from './report.ts'

/**
 * The deterministic simulator at scale (issue 7), every figure from the real ring code on
 * virtual time (simulations/):
 * - `scale` scenario per N (default 100 and 1,000; 1–5 ms links): convergence of a single
 *   change (p50/p99/max over every replica of five changes), messages per node per second in
 *   the steady state, and the simulator's speed (simulated seconds per wall second). Above 200
 *   nodes the scenario runs gossip only (replicas, no lifecyclers; see its file).
 * - The full stack at `--full-stack-nodes` (default 1,000) for `--full-stack-seconds` of wall
 *   time: how many deliveries per wall second the simulator gets through with every node's
 *   lifecycler on, and the wall seconds per simulated second that gives with 1 s heartbeats.
 * - `zone-loss` scenario at `--zone-loss-nodes` (default 100): detection-to-reroute (target
 *   ≤ 3 s) and query availability while a zone is down (target 100 %).
 * - The ring's CPU per delivered heartbeat delta at N members (`--cost-nodes`, default
 *   100,300,1000): one real replica + lifecycler receiving heartbeats from N−1 peers, timed in
 *   wall-clock; times N−1 it is the CPU a node spends per heartbeat period on the others' beats.
 *   npm run bench -- sim-scale [--nodes 100,1000] [--zone-loss-nodes 100] [--cost-nodes 100,300,1000]
 *     [--full-stack-nodes 1000] [--full-stack-seconds 120] [--seed 1]
 */
const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100,1000' },
    'zone-loss-nodes': { type: 'string', default: '100' },
    'cost-nodes': { type: 'string', default: '100,300,1000' },
    'full-stack-nodes': { type: 'string', default: '1000' },
    'full-stack-seconds': { type: 'string', default: '120' },
    seed: { type: 'string', default: '1' },
  },
})
const bench = 'sim-scale'
const seed = Number(values.seed)
const list = (s: string): number[] => s.split(',').filter((x) => x !== '').map(Number)
const progress = (what: string) => (ms: number, events: number): void => { console.error(`${what}: ${(ms / 1000).toFixed(1)} s simulated, ${events} events`) }

async function scale (n: number): Promise<void> {
  const { result: r, wallMs } = await runScenario(scaleScenario, { seed, nodes: n, progress: progress(`scale ${n}`) })
  const m = r.metrics
  const params = { nodes: r.nodes, seed, links: '1-5 ms uniform', mode: m.mode, verdict: r.verdict }
  report(bench, 'change_convergence_p99_ms', Number(m.change_p99_ms), 'ms', { ...params, p50: m.change_p50_ms, max: m.change_max_ms, changes: 5, target: r.nodes >= 1000 ? '<= 2000 (serf model 1840)' : undefined })
  if (m.messages_per_node_per_s !== undefined) report(bench, 'messages_per_node_per_s', Number(m.messages_per_node_per_s), '1/s', { ...params, bytes_per_node_per_s: m.bytes_per_node_per_s, what: 'deltas + push/pull legs sent, steady state (1 s heartbeats)' })
  if (m.formation_s !== undefined) report(bench, 'formation_s', Number(m.formation_s), 's', { ...params, full_state_exchanges: m.full_state_exchanges })
  report(bench, 'simulator_speed', r.simulatedMs / wallMs, 'sim_s/wall_s', { ...params, simulated_s: r.simulatedMs / 1000, wall_s: Math.round(wallMs / 100) / 10, events: r.events })
}

/**
 * The full stack (replica + lifecycler on every node) at `n` nodes for a wall-clock budget:
 * the mesh is bootstrapped, every node starts at once, and virtual time runs until the budget
 * is spent. Reported: deliveries the simulator processed per wall second, and
 * what that means for a steady state with 1 s heartbeats (n·(n−1) deliveries per simulated
 * second): wall seconds per simulated second.
 */
async function fullStackSpeed (n: number, budgetMs: number): Promise<void> {
  const sim = new SimCluster({ seed, nodes: zonedNodes(n, 2), ring: scenarioRing(2) })
  await sim.bootstrapMesh()
  const received = (): number => sim.list().reduce((a, x) => a + (sim.network.traffic(x.id)?.received ?? 0), 0)
  const before = received()
  const t0 = performance.now()
  const v0 = sim.elapsed()
  sim.startAll()
  await sim.scheduler.run(600_000, () => performance.now() - t0 >= budgetMs)
  const wallS = (performance.now() - t0) / 1000
  const deliveries = received() - before
  const params = { nodes: n, seed, wall_s: Math.round(wallS * 10) / 10, simulated_ms: Math.round((sim.elapsed() - v0) * 10) / 10, us_per_delivery: Math.round(wallS * 1e6 / Math.max(1, received() - before)), deliveries, running: sim.running().length, what: 'formation burst: every node registers and heartbeats at once' }
  report(bench, 'full_stack_deliveries_per_wall_s', deliveries / wallS, '1/s', params)
  report(bench, 'full_stack_wall_s_per_simulated_s_1s_heartbeats', n * (n - 1) / (deliveries / wallS), 'wall_s/sim_s', { ...params, what: 'derived: a steady state with 1 s heartbeats needs n·(n−1) deliveries per simulated second' })
}

async function zoneLoss (n: number): Promise<void> {
  const { result: r, wallMs } = await runScenario(zoneLossScenario, { seed, nodes: n, progress: progress(`zone-loss ${n}`) })
  const params = { nodes: r.nodes, seed, verdict: r.verdict, heartbeat_period_s: 1, heartbeat_timeout_s: 3, sample_ms: 100 }
  report(bench, 'detection_to_reroute_s', Number(r.metrics.reroute_s), 's', { ...params, target: '<= 3', what: 'zone crash until no live node routes a query to a dead owner' })
  const met = r.metrics.required_availability_min
  report(bench, 'availability_during_zone_loss_pct', met === null ? NaN : Number(met) * 100, '%', { ...params, target: 100, what: 'worst sampled query: partitions with a reachable live owner that were answered' })
  report(bench, 'zone_loss_simulator_speed', r.simulatedMs / wallMs, 'sim_s/wall_s', { ...params, wall_s: Math.round(wallMs / 100) / 10 })
}

/**
 * Wall-clock CPU of one real node (replica + lifecycler, validator on) per heartbeat delta it
 * receives, in a ring of `n` members: the synthetic ring is pulled from a seed, then `rounds`
 * rounds of one heartbeat from every other member are delivered (after `warmup` rounds).
 */
async function deliveryCost (n: number, rounds = 5, warmup = 2): Promise<void> {
  const t0 = 1_700_000_000_000
  const ids = Array.from({ length: n }, (_, i) => `${i % 2 === 0 ? 'a' : 'b'}-${Math.floor(i / 2)}`)
  const node = ids[0] as string
  const sim = new SimCluster({ seed, nodes: [{ id: node, zone: 'a', partitions: [0], seeds: ['seed'] }], ring: { min_partition_owners_count: 2, min_partition_owners_duration: 2_000 } })
  const memberOf = (id: string, beat: number): MemberEntry => ({ nodeId: id, info: { value: { state: 'active', zone: id[0] as string, addresses: [simAddressPrefix + id, `/p2p/${id}`] }, ts: { wall: t0, logical: 0 }, writer: id }, heartbeat: { ts: { wall: beat, logical: 0 }, writer: id } })
  const peers = ids.slice(1).map((id) => new SimTransport(id, sim.network, new NodeClock(sim.scheduler)))
  const state = ringOf({
    members: ids.slice(1).map((id) => memberOf(id, t0)),
    owners: ids.slice(1).map((id, i): OwnerEntry => ({ ownerId: id, partition: Math.floor((i + 1) / 2), value: { state: 'active', zone: id[0] as string }, ts: { wall: t0, logical: 0 }, writer: id })),
    partitions: Array.from({ length: Math.ceil(n / 2) }, (_, p): PartitionEntry => ({ id: p, state: { value: 'active', ts: { wall: t0, logical: 0 }, writer: 'a-0' }, locked: { value: false, ts: { wall: t0, logical: 0 }, writer: 'a-0' } })),
  })
  const seedPeer = new SimTransport('seed', sim.network, new NodeClock(sim.scheduler))
  seedPeer.handleRequest(async () => encodeMessage({ kind: 'full', state }))
  await sim.drive(Promise.all([seedPeer, ...peers].map((t) => t.start(new AbortController().signal))))
  for (const p of [seedPeer, ...peers]) sim.network.meshAll([node, p.localId])
  await sim.run(50)
  sim.start(node)
  await sim.run(3_000)
  let deliveries = 0
  let wall = 0
  for (let r = 0; r < warmup + rounds; r++) {
    const beat = sim.scheduler.now()
    const bytes = peers.map((p) => encodeMessage({ kind: 'delta', state: ringOf({ members: [memberOf(p.localId, beat)] }) }))
    const w = performance.now()
    peers.forEach((p, i) => { void p.publish(bytes[i] as Uint8Array) })
    await sim.run(10)
    if (r >= warmup) {
      wall += performance.now() - w
      deliveries += peers.length
    }
    await sim.run(990)
  }
  const us = wall * 1000 / deliveries
  const rejected = sim.node(node).incarnation?.replica.stats.rejectedTotal ?? 0
  report(bench, 'ring_cpu_per_delivered_heartbeat_us', us, 'us', { members: n, deliveries, rejected, what: 'validate + merge + lifecycler evaluate + member dialer, one node' })
  report(bench, 'ring_cpu_per_node_at_1s_heartbeats', us * (n - 1) / 1e6, 'cores', { members: n, what: 'CPU a node spends per second on the others\' 1 s heartbeats' })
}

try {
  for (const n of list(values['cost-nodes'])) await deliveryCost(n)
  for (const n of list(values['zone-loss-nodes'])) await zoneLoss(n)
  for (const n of list(values.nodes)) await scale(n)
  for (const n of list(values['full-stack-nodes'])) await fullStackSpeed(n, Number(values['full-stack-seconds']) * 1000)
} catch (err) {
  console.error('sim-scale failed:', err)
  process.exitCode = 1
}
