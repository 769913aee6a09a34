/**
 * Join storm / cold start with concurrent creation (ring-crdt.md §9.11, §9.15): every node
 * starts in the same instant, and every partition has two owners per zone, so four nodes create
 * each partition (pending) at once, register, and race to promote it. The replicas must agree
 * within 5 s of the cluster forming, every promotion must see the minimum owners settled, and
 * the nodes must all form one cluster (every partition active) within 30 s.
 */
import type { NodeSpec } from '../node.ts'
import type { Scenario } from '../scenario.ts'
import { formCluster, scenarioRing } from './common.ts'

function nodes (n: number): NodeSpec[] {
  const perZone = Math.max(2, Math.floor(n / 2))
  const partitions = Math.max(1, Math.floor(perZone / 2))
  const out: NodeSpec[] = []
  for (let i = 0; i < perZone; i++) {
    for (const z of ['a', 'b']) out.push({ id: `${z}-${i}`, zone: z, partitions: [i % partitions], seeds: ['a-0', 'b-0'] })
  }
  return out
}

export const joinStormScenario: Scenario = {
  name: 'join-storm',
  title: 'Join storm: every node starts at once',
  description: 'Two zones, every partition owned by two nodes per zone (a consumer and a standby); every node starts in the same instant, so four nodes create each partition concurrently. The cluster must form within 30 s, promotions must see the minimum owners settled, and all replicas must agree within 5 s of forming.',
  defaultNodes: 24,
  minNodes: 4,
  setup: (n) => ({ cluster: { nodes: nodes(n), ring: scenarioRing(2) } }),
  async run (ctx) {
    await formCluster(ctx, { limitMs: 30_000 })
    await ctx.sim.run(10_000)
    let full = 0
    for (const n of ctx.sim.list()) full += n.incarnation?.replica.stats.messagesOut.full ?? 0
    ctx.metrics.full_state_exchanges = full
  },
}
