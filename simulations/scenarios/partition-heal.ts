/**
 * Network partition between two zones, then heal. While the zones cannot talk, each side
 * changes the ring: on side a, a-1 stops gracefully (it deletes its owner entry and leaves: two
 * tombstones side b never sees); on side b, b-2's operator prepares a partition downscale
 * (partition 2 → inactive). After the heal, every replica must agree within 5 s, and no deleted
 * owner or member may come back. Queries must keep answering every partition that has a live
 * owner on the querier's side of the cut.
 *
 * `partition-heal` cuts for 60 s, well inside the tombstone horizon (5 min): side b learns the
 * deletions on heal. `partition-heal-long` cuts for the horizon plus a minute: side a has
 * garbage-collected a-1's owner tombstones by then while side b still holds them as live; a-1's
 * `left` entry (kept for the departure horizon, 24 h) must bury them on heal (ring/model.ts
 * `dropDepartedOwners`; this scenario found the resurrection before that rule existed).
 */
import type { Scenario } from '../scenario.ts'
import { formCluster, scenarioRing, seconds, waitFor, zonedNodes } from './common.ts'

const horizonMs = 300_000

export function partitionHeal (name: string, title: string, cutMs: number): Scenario {
  return {
    name,
    title,
    description: `Two zones, cut apart for ${cutMs / 1000} s (tombstone horizon ${horizonMs / 1000} s). During the cut a-1 stops gracefully on side a and partition 2 is made inactive on side b. After the heal every replica must agree within 5 s and no deleted owner or member may come back; queries must answer every partition with a live owner on the querier's side.`,
    defaultNodes: 12,
    minNodes: 6,
    setup: (nodes) => ({ cluster: { nodes: zonedNodes(nodes, 2), ring: scenarioRing(2, { tombstone_horizon: horizonMs }) } }),
    async run (ctx) {
      const { sim, monitor } = ctx
      await formCluster(ctx)
      await sim.run(5_000)
      sim.partitionZones(['a'], ['b'])
      await sim.run(5_000)
      sim.stop('a-1')
      sim.note('b-2: prepare partition downscale (partition 2 → inactive)')
      const b2 = sim.node('b-2').incarnation?.lifecycler
      if (b2 !== undefined) await sim.drive(b2.preparePartitionDownscale())
      await sim.run(cutMs - 10_000)
      const healedAt = sim.elapsed()
      sim.heal()
      const healed = monitor.expectConvergence('after the heal', 5_000)
      await waitFor(ctx, () => healed.afterMs !== undefined || healed.failed === true, 10_000)
      ctx.metrics.heal_converged_s = seconds(healed.afterMs)
      ctx.metrics.heal_at_s = healedAt / 1000
      await sim.run(5_000)
      sim.start('a-1')
      sim.note('b-2: cancel partition downscale (partition 2 → active)')
      const b2again = sim.node('b-2').incarnation?.lifecycler
      if (b2again !== undefined) await sim.drive(b2again.cancelPartitionDownscale())
      monitor.expectConvergence('after a-1 rejoined', 10_000)
      await sim.run(15_000)
    },
  }
}

export const partitionHealScenario = partitionHeal('partition-heal', 'Zone partition, healed within the tombstone horizon', 60_000)
