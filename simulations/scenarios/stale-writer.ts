/**
 * Stale writer (ring-crdt.md §9.3, dskit#509): a node whose view lags 30 s makes a transition
 * its view allows. Nodes x-a and x-b join a formed cluster as the owners of a new partition 100
 * (pending, promoted after 10 s of ownership). Two seconds later everything x-b receives starts
 * arriving 30 s late; then an operator on a-0 moves partition 100 pending → inactive. x-b, still
 * seeing it pending, promotes it when its owners have settled: a later stamp, so every replica
 * ends with `active` (last writer wins, as in dskit). What must hold: the promotion saw its
 * owners settled, every replica agrees once the lag is over (within 35 s: a delta can be 30 s in
 * flight), and queries keep answering.
 */
import { setPartitionState } from '../../ring/edits.ts'
import { link } from '../latency.ts'
import type { Scenario } from '../scenario.ts'
import { formCluster, scenarioRing, waitFor, zonedNodes } from './common.ts'

const p = 100
const lagMs = 30_000

export const staleWriterScenario: Scenario = {
  name: 'stale-writer',
  title: 'Stale writer (view lagging 30 s)',
  description: `Two zones; nodes x-a and x-b join as the owners of partition ${p}. Everything x-b receives then arrives ${lagMs / 1000} s late; meanwhile an operator on a-0 moves partition ${p} pending → inactive, and x-b's lifecycler, still seeing it pending, promotes it. Every replica must agree within 35 s of the lag ending, the promotion must see its owners settled, and queries (through nodes whose view does not lag) must keep answering.`,
  defaultNodes: 12,
  minNodes: 4,
  setup: (n) => ({
    cluster: {
      nodes: [...zonedNodes(n, 2), { id: 'x-a', zone: 'a', partitions: [p], seeds: ['a-0', 'b-0'] }, { id: 'x-b', zone: 'b', partitions: [p], seeds: ['a-0', 'b-0'] }],
      ring: scenarioRing(2, { min_partition_owners_duration: 10_000 }),
    },
  }),
  async run (ctx) {
    const { sim, monitor } = ctx
    const base = sim.list().filter((n) => !n.id.startsWith('x-')).map((n) => n.id)
    await formCluster(ctx, { ids: base })
    await sim.run(2_000)
    sim.start('x-a')
    sim.start('x-b')
    await waitFor(ctx, () => sim.node('x-a').running && sim.node('x-b').running, 10_000)
    await sim.run(2_000)
    const slow = link({ latency: { kind: 'fixed', ms: lagMs } })
    sim.note(`everything x-b receives arrives ${lagMs / 1000} s late`)
    sim.network.setLink(link(), (_from, to) => to === 'x-b' ? slow : undefined)
    monitor.setQuerier('x-b', false, 'its view lags')
    await sim.run(2_000)
    sim.note(`a-0: partition ${p} pending → inactive`)
    const a0 = sim.node('a-0').incarnation?.replica
    if (a0 !== undefined) await sim.drive(a0.edit((tx) => tx.apply((s, at) => setPartitionState(s, at, p, 'inactive'))))
    await sim.run(lagMs - 4_000)
    sim.setLink(link(), 'x-b\'s lag ends')
    monitor.expectConvergence('after the lag', 35_000)
    await sim.run(35_000)
    monitor.setQuerier('x-b', true, 'its view caught up')
    await sim.run(5_000)
    const latest = monitor.latest()?.partitions.get(p)
    ctx.metrics.final_state = latest?.state.value ?? null
    ctx.metrics.final_writer = latest?.state.writer ?? null
  },
}
