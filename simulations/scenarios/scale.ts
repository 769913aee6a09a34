/**
 * Scale (ring-crdt.md §9.14): convergence of a single ring change across N nodes with 1–5 ms
 * links, timed to every replica (changes.ts; five changes by different writers, one second
 * apart), the message rate per node, and (in the run's stderr) the simulator's own speed.
 *
 * Up to 200 nodes ("full stack") every node runs replica and lifecycler and starts the way it
 * does in production: two zones, one partition per pair of nodes, a join through a seed, then a
 * push/pull with every member it connects to (N² full-state exchanges), 1 s heartbeats; the
 * cluster must form, agree within 10 s and keep answering queries.
 *
 * Above 200 nodes ("gossip only") every node runs the real `RingReplica` on a bootstrapped full
 * mesh, without a lifecycler: no membership, heartbeats or ownership, so no queries either; each
 * writer registers itself with its change. The reason is the ring's own CPU: every received
 * delta makes the lifecycler re-rank every member and the member dialer re-scan them (O(N log N)
 * per message; bench/sim-scale.ts measures ~1 ms per delivery at 1,000 members), so a 1,000-node
 * formation alone is about 1.5 million such deliveries, hours in one process. The change still
 * travels exactly as in the full stack (the same publish, validators and merge on every
 * replica), and virtual time has no CPU model, so its convergence time is the same.
 */
import { claimPartition, upsertMember } from '../../ring/edits.ts'
import { ChangeTracker, quantile } from '../changes.ts'
import type { NodeSpec } from '../node.ts'
import type { Scenario, ScenarioContext } from '../scenario.ts'
import { formCluster, scenarioRing, waitFor, zonedNodes } from './common.ts'

const changes = 5
export const fullStackUpTo = 200

function nodes (n: number): NodeSpec[] {
  const specs = zonedNodes(n, 2)
  return n <= fullStackUpTo ? specs : specs.map((s) => ({ ...s, lifecycler: false }))
}

function steadyRate (ctx: ScenarioContext, windowMs: number): void {
  const tl = ctx.monitor.timeline
  const end = tl[tl.length - 1]?.t ?? 0
  const steady = tl.filter((s) => s.t > end - windowMs)
  const mean = (f: (s: (typeof tl)[number]) => number): number => steady.reduce((a, s) => a + f(s), 0) / Math.max(1, steady.length)
  ctx.metrics.messages_per_node_per_s = Math.round(mean((s) => s.messagesPerNodePerSecond) * 10) / 10
  ctx.metrics.bytes_per_node_per_s = Math.round(mean((s) => s.bytesPerNodePerSecond))
}

async function timeChanges (ctx: ScenarioContext, register: boolean): Promise<void> {
  const { sim, monitor } = ctx
  const tracker = new ChangeTracker(sim, monitor)
  const live = sim.running()
  for (let k = 0; k < changes; k++) {
    const writer = live[(k * 7919) % live.length]
    const id = 100_000 + k
    const inc = writer?.incarnation
    if (writer === undefined || inc === undefined) continue
    tracker.track(`partition ${id}`, (s) => s.partitions.has(id))
    sim.note(`${writer.id}: create partition ${id}`)
    await sim.drive(inc.replica.edit((tx) => {
      if (register) tx.apply((s, at) => upsertMember(s, at, { nodeId: writer.id, zone: writer.zone, addresses: inc.replica.advertisedAddresses() }))
      tx.apply((s, at) => claimPartition(s, at, { ownerId: writer.id, partition: id, zone: writer.zone }))
    }))
    await sim.run(1_000)
  }
  await waitFor(ctx, () => tracker.settled(), 60_000, 250)
  const results = tracker.close()
  const delays = results.flatMap((r) => r.delays).sort((a, b) => a - b)
  const ms = (v: number | undefined): number | null => v === undefined ? null : Math.round(v * 100) / 100
  ctx.metrics.change_p50_ms = ms(quantile(delays, 0.5))
  ctx.metrics.change_p99_ms = ms(quantile(delays, 0.99))
  ctx.metrics.change_max_ms = ms(delays[delays.length - 1])
  for (const r of results) {
    if (r.missing > 0) monitor.report({ invariant: 'convergence', detail: `${r.label}: ${r.missing} live replica(s) never got it` })
  }
}

export const scaleScenario: Scenario = {
  name: 'scale',
  title: 'Scale: convergence of a single change',
  description: `Two zones, one partition per pair of nodes, 1–5 ms links; ${changes} ring changes by different writers, one second apart, timed to every replica. Up to ${fullStackUpTo} nodes the full stack (replica + lifecycler, production start, 1 s heartbeats): the cluster must form, agree within 10 s and keep answering queries. Above, gossip only (every node a real replica on a bootstrapped mesh, no lifecycler): every change must reach every replica.`,
  defaultNodes: 100,
  minNodes: 4,
  setup: (n) => ({
    cluster: { nodes: nodes(n), ring: scenarioRing(2) },
    monitor: { sampleMs: n > fullStackUpTo ? 1_000 : 500 },
  }),
  async run (ctx) {
    const { sim } = ctx
    const full = sim.nodes.size <= fullStackUpTo
    ctx.metrics.mode = full ? 'full stack' : 'gossip only'
    if (full) {
      await formCluster(ctx, { limitMs: 120_000, convergeWithinMs: 10_000 })
      ctx.metrics.full_state_exchanges = sim.list().reduce((n, x) => n + (x.incarnation?.replica.stats.messagesOut.full ?? 0), 0)
      await sim.run(5_000)
      steadyRate(ctx, 4_000)
    } else {
      await sim.bootstrapMesh()
      sim.startAll()
      const took = await waitFor(ctx, () => sim.running().length === sim.nodes.size, 60_000)
      if (took === undefined) ctx.monitor.report({ invariant: 'convergence', detail: 'not every replica started within 60 s' })
    }
    await timeChanges(ctx, !full)
    await sim.run(2_000)
  },
}
