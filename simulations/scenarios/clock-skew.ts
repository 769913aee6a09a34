/**
 * Clock skew ±30 s (ring-crdt.md §9.1), one side at a time. First a-1's clock jumps 30 s ahead
 * (the most `max_clock_skew` accepts) and a new owner x-a starts with a clock 30 s ahead; x-b
 * (true clock) joins it 5 s later as the partition's second owner. Then every clock is true
 * again for 40 s (the other nodes' hybrid clocks, pulled 30 s ahead by the stamps they saw,
 * catch up), and b-2 and a new owner y-b fall 30 s behind while y-a and y-b form a partition.
 * Every replica must agree within 5 s after each jump, queries must keep answering, and every
 * promotion must see its owners settled in true time up to the 30 s skew: a promoter whose
 * clock is ahead sees the other owners' registrations as that much older (reported:
 * `promote_after_second_owner_*`, true time from the second owner's start to active, against
 * `min_partition_owners_duration` 2 s), and the hybrid clocks' lead over true time.
 */
import type { SimNode } from '../node.ts'
import type { Scenario, ScenarioContext } from '../scenario.ts'
import { formCluster, formed, scenarioRing, seconds, waitFor, zonedNodes } from './common.ts'

const skewMs = 30_000

function hlcLead (ctx: ScenarioContext, nodes: readonly SimNode[]): number {
  const now = ctx.sim.scheduler.now()
  return Math.max(0, ...nodes.map((n) => (n.incarnation?.replica.hlc.last.wall ?? 0) - now))
}

/**
 * Starts `first`, then `second` 5 s later (owners of one new partition); the time from the
 * second start until the partition is active everywhere (true time).
 */
async function joinPair (ctx: ScenarioContext, first: string, second: string): Promise<number | undefined> {
  ctx.sim.start(first)
  await ctx.sim.run(5_000)
  ctx.sim.start(second)
  const started = ctx.sim.elapsed()
  const took = await waitFor(ctx, () => formed(ctx, [first, second]), 60_000, 50)
  return took === undefined ? undefined : ctx.sim.elapsed() - started
}

export const clockSkewScenario: Scenario = {
  name: 'clock-skew',
  title: 'Clock skew ±30 s on one node',
  description: 'Two zones. a-1 and a new owner x-a run 30 s ahead while x-b joins x-a as the second owner of partition 100; all clocks return to true time; 40 s later b-2 and a new owner y-b run 30 s behind while y-a and y-b form partition 101. Replicas must agree within 5 s after each jump, queries must keep answering, promotions must see their owners settled (up to the 30 s skew).',
  defaultNodes: 12,
  minNodes: 4,
  setup: (n) => ({
    cluster: {
      nodes: [
        ...zonedNodes(n, 2),
        ...(['x', 'y'] as const).flatMap((x, i) => (['a', 'b'] as const).map((z) => ({ id: `${x}-${z}`, zone: z, partitions: [100 + i], seeds: ['a-0', 'b-0'] }))),
      ],
      ring: scenarioRing(2),
    },
    skewToleranceMs: skewMs,
  }),
  async run (ctx) {
    const { sim, monitor } = ctx
    const base = sim.list().filter((n) => !/^[xy]-/.test(n.id)).map((n) => n.id)
    await formCluster(ctx, { ids: base })
    await sim.run(3_000)
    sim.setSkew('a-1', skewMs)
    sim.setSkew('x-a', skewMs)
    monitor.expectConvergence('after a-1 jumped ahead', 5_000)
    await sim.run(3_000)
    ctx.metrics.promote_after_second_owner_clock_ahead_s = seconds(await joinPair(ctx, 'x-a', 'x-b'))
    await sim.run(5_000)
    ctx.metrics.hlc_lead_while_ahead_s = seconds(hlcLead(ctx, sim.running()))
    sim.setSkew('a-1', 0)
    sim.setSkew('x-a', 0)
    await sim.run(40_000)
    ctx.metrics.hlc_lead_after_40s_s = seconds(hlcLead(ctx, sim.running()))
    sim.setSkew('b-2', -skewMs)
    sim.setSkew('y-b', -skewMs)
    monitor.expectConvergence('after b-2 fell behind', 5_000)
    ctx.metrics.promote_after_second_owner_clock_behind_s = seconds(await joinPair(ctx, 'y-a', 'y-b'))
    await sim.run(10_000)
    sim.setSkew('b-2', 0)
    sim.setSkew('y-b', 0)
    monitor.expectConvergence('after every clock is true', 5_000)
    await sim.run(10_000)
  },
}
