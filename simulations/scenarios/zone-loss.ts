/**
 * Zone loss: the cluster forms, runs a few seconds, then every node of one zone crashes at once
 * (the zone's hosts vanish: no goodbye, links just drop). Queries must keep getting an answer
 * for every partition from the surviving zone(s) (read quorum 1), and the live replicas must
 * still agree. Measured: detection-to-reroute (from the crash until no live node's routing
 * lists a dead owner any more, i.e. every view marks the dead owners unhealthy) and the
 * availability during the loss. The variants lose 1 of 3 zones, or all nodes but one.
 */
import type { Scenario, ScenarioContext } from '../scenario.ts'
import { routingOf } from '../query-probe.ts'
import { formCluster, scenarioRing, seconds, waitFor, zonedNodes } from './common.ts'

export interface ZoneLossOptions {
  name: string
  title: string
  zones: number
  /** Which nodes crash, given the cluster. */
  victims: (ctx: ScenarioContext) => string[]
  what: string
}

export function zoneLoss (o: ZoneLossOptions): Scenario {
  return {
    name: o.name,
    title: o.title,
    description: `${o.what} Every partition with a reachable live owner must keep answering queries, the live replicas must agree within 5 s, and routing must drop the dead owners (target ≤ 3 s with heartbeat 1 s / timeout 3 s).`,
    defaultNodes: 4 * o.zones,
    minNodes: o.zones,
    setup: (nodes) => ({
      cluster: { nodes: zonedNodes(nodes, o.zones), ring: scenarioRing(o.zones) },
      monitor: { sampleMs: 100, routesOfAll: true },
    }),
    async run (ctx) {
      await formCluster(ctx)
      // Anywhere within a heartbeat period, so the crash does not always follow a beat by the same time.
      await ctx.sim.run(5_000 + ctx.sim.random.int(1_000))
      const victims = o.victims(ctx)
      const before = ctx.monitor.timeline.length
      const crashedAt = ctx.sim.elapsed()
      ctx.sim.crash(...victims)
      ctx.monitor.expectConvergence('after the loss', 5_000)
      // Rerouted: no live node's routing table (the real fan-out's candidate order) lists a dead owner; polled every 10 ms.
      const dead = new Set(victims)
      const rerouted = await waitFor(ctx, () => ctx.sim.running().every((n) => [...routingOf(n).values()].every((c) => c.every((id) => !dead.has(id)))), 10_000, 10)
      await ctx.sim.run(15_000 - (ctx.sim.elapsed() - crashedAt))
      const after = ctx.monitor.timeline.slice(before)
      ctx.metrics.crashed_nodes = victims.length
      ctx.metrics.reroute_s = seconds(rerouted)
      const met = after.flatMap((s) => s.requiredMet === null ? [] : [s.requiredMet])
      const avail = after.flatMap((s) => s.availability === null ? [] : [s.availability])
      ctx.metrics.required_availability_min = met.length === 0 ? null : Math.min(...met)
      ctx.metrics.availability_min = avail.length === 0 ? null : Math.min(...avail)
    },
  }
}

export const zoneLossScenario = zoneLoss({
  name: 'zone-loss',
  title: 'Zone loss (1 of 2 zones)',
  zones: 2,
  victims: (ctx) => ctx.sim.inZone('b').map((n) => n.id),
  what: 'Two zones; every node of zone b crashes at once.',
})
