/**
 * One node's clock jumps a year ahead (ring-crdt.md §9.1 and §5.3 attack 1). Every stamp it
 * writes is then beyond `max_clock_skew` for everyone else, so its gossip must be rejected and
 * nothing it writes may reach an honest replica (checked as for a rogue peer); the others must
 * keep agreeing and answering queries (its partitions have an owner in the other zone). After
 * 20 s its clock is fixed. A hybrid clock never runs backwards, so it would stay a year ahead and
 * rejected until a restart (what this scenario found); instead its replica notices the clock was
 * set back, rewinds, forgets what it stamped in the future and pulls the ring again
 * (ring/gossip.ts), so every replica, it included, must agree within 5 s of the fix. A restart
 * later must also rejoin within 5 s.
 */
import { RogueCheck } from '../invariants.ts'
import type { Scenario } from '../scenario.ts'
import { formCluster, seconds, twoZoneSetup, waitFor } from './common.ts'

const year = 365 * 86_400_000
const victim = 'b-1'

function rejectedSkew (ctx: Parameters<Scenario['run']>[0]): number {
  return ctx.sim.list().reduce((n, x) => n + (x.incarnation?.replica.stats.rejected.clock_skew ?? 0), 0)
}

export const clockSkewYearScenario: Scenario = {
  name: 'clock-skew-year',
  title: 'One clock a year ahead',
  description: `Two zones. ${victim}'s clock jumps a year ahead; after 20 s it is fixed; 20 s later ${victim} restarts. While it is ahead nothing it writes may be adopted (stamps beyond max_clock_skew), the other replicas must agree and answer queries; within 5 s of the fix (its replica rewinds its clock) and of its restart every replica must agree.`,
  defaultNodes: 12,
  minNodes: 4,
  setup: twoZoneSetup,
  async run (ctx) {
    const { sim, monitor } = ctx
    await formCluster(ctx)
    await sim.run(3_000)
    monitor.watchRogue(new RogueCheck(victim, sim.node(victim).incarnation?.config.max_clock_skew ?? 30_000))
    monitor.exclude(victim, 'its clock is a year ahead')
    sim.setSkew(victim, year)
    monitor.expectConvergence('after the jump', 5_000)
    await sim.run(20_000)
    const whileAhead = rejectedSkew(ctx)
    sim.setSkew(victim, 0)
    monitor.include(victim)
    const fixed = monitor.expectConvergence('after the clock was fixed', 5_000)
    await waitFor(ctx, () => fixed.afterMs !== undefined || fixed.failed === true, 10_000)
    ctx.metrics.converged_after_the_fix_s = seconds(fixed.afterMs)
    await sim.run(10_000)
    ctx.metrics.rejected_while_ahead = whileAhead
    ctx.metrics.rejected_after_the_fix = rejectedSkew(ctx) - whileAhead
    sim.crash(victim)
    await sim.run(1_000)
    sim.start(victim)
    await waitFor(ctx, () => sim.node(victim).running, 10_000)
    monitor.expectConvergence('after the restart', 5_000)
    await sim.run(10_000)
  },
}
