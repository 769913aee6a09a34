/**
 * Owner restart churn (ring-crdt.md §9.11): one node at a time restarts for a minute, half of
 * them gracefully (they remove their ownership and leave, then register again) and half by
 * crashing (their entries stay; the new process finds them unchanged). The other zone's owner
 * covers each partition meanwhile, so queries must keep answering every partition that has a
 * live owner, no deleted owner may come back, and once the churn stops every replica must agree
 * within 5 s.
 */
import type { Scenario } from '../scenario.ts'
import { formCluster, twoZoneSetup, waitFor } from './common.ts'

export const restartChurnScenario: Scenario = {
  name: 'restart-churn',
  title: 'Owner restart churn',
  description: 'Two zones; for 60 s one owner at a time restarts (alternately a graceful stop and a crash), down for 1–3 s, and waits until it runs again plus 2 s before the next. Queries must answer every partition with a live owner, no deleted owner may come back, and the replicas must agree within 5 s of the last restart.',
  defaultNodes: 12,
  minNodes: 4,
  setup: twoZoneSetup,
  async run (ctx) {
    const { sim, monitor } = ctx
    await formCluster(ctx)
    await sim.run(3_000)
    const end = sim.elapsed() + 60_000
    let restarts = 0
    while (sim.elapsed() < end) {
      const candidates = sim.list().filter((n) => n.running)
      const victim = candidates[sim.random.int(candidates.length)]
      if (victim === undefined) break
      if (restarts % 2 === 0) sim.stop(victim.id)
      else sim.crash(victim.id)
      await sim.run(1_000 + sim.random.int(2_000))
      sim.start(victim.id)
      await waitFor(ctx, () => victim.running, 10_000)
      await sim.run(2_000)
      restarts++
    }
    ctx.metrics.restarts = restarts
    monitor.expectConvergence('after the churn', 5_000)
    await sim.run(10_000)
  },
}
