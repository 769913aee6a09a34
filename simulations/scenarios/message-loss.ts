/**
 * Lost deltas (ring-crdt.md §9.4): the network drops 10 %, then 30 %, then 50 % of gossip
 * messages, duplicates 5 % and holds back 10 % by up to 50 ms so later ones overtake them
 * (push/pull requests, which ride a reliable stream, are not dropped). In each phase
 * four ring changes are made by different writers (a new pending partition each) and timed to
 * every replica (changes.ts). A replica that missed a delta must be repaired by anti-entropy:
 * every change must reach every live replica within 75 s (two anti-entropy rounds of 30 s
 * + 25 % jitter; ring-crdt.md §4.3 says "about one" round, and with half the deltas lost one
 * round leaves a replica behind in some runs), queries must keep answering although heartbeats
 * are lost, and at the end (loss back to 0) every replica must agree within 75 s.
 */
import { claimPartition } from '../../ring/edits.ts'
import { ChangeTracker, quantile } from '../changes.ts'
import { link } from '../latency.ts'
import type { Scenario } from '../scenario.ts'
import { formCluster, seconds, twoZoneSetup, waitFor } from './common.ts'

/** Two anti-entropy rounds at their longest (30 s + 25 % jitter, each): a replica that misses a change is repaired when it pulls a peer that has it or such a peer pulls it, so one round repairs most, not all. */
const repairBoundMs = 75_000
const changesPerPhase = 4

export const messageLossScenario: Scenario = {
  name: 'message-loss',
  title: 'Message loss 10–50 %',
  description: `Two zones. Gossip loss 10 %, 30 %, 50 % in turn (with 5 % duplicated and 10 % reordered); in each phase ${changesPerPhase} ring changes by different writers. Every change must reach every live replica within ${repairBoundMs / 1000} s (anti-entropy repairs what gossip lost), queries must keep answering, and after the loss ends every replica must agree within ${repairBoundMs / 1000} s.`,
  defaultNodes: 12,
  minNodes: 4,
  setup: twoZoneSetup,
  async run (ctx) {
    const { sim, monitor } = ctx
    const changes = new ChangeTracker(sim, monitor)
    await formCluster(ctx)
    let next = 1000
    for (const loss of [0.1, 0.3, 0.5]) {
      sim.setLink(link({ loss, duplicate: 0.05, reorder: 0.1 }), `gossip loss ${loss * 100} % (5 % duplicated, 10 % reordered)`)
      await sim.run(5_000)
      for (let k = 0; k < changesPerPhase; k++) {
        const writers = sim.running()
        const writer = writers[sim.random.int(writers.length)]
        const id = next++
        if (writer?.incarnation === undefined) continue
        changes.track(`partition ${id} (loss ${loss})`, (s) => s.partitions.has(id))
        sim.note(`${writer.id}: create partition ${id}`)
        await sim.drive(writer.incarnation.replica.edit((tx) => tx.apply((s, at) => claimPartition(s, at, { ownerId: writer.id, partition: id, zone: writer.zone }))))
        await sim.run(2_000)
      }
      const took = await waitFor(ctx, () => changes.settled(), repairBoundMs, 250)
      const results = changes.close().slice(-changesPerPhase)
      const delays = results.flatMap((r) => r.delays).sort((a, b) => a - b)
      const pct = Math.round(loss * 100)
      ctx.metrics[`loss_${pct}_change_p50_s`] = seconds(quantile(delays, 0.5))
      ctx.metrics[`loss_${pct}_change_max_s`] = seconds(delays[delays.length - 1])
      ctx.metrics[`loss_${pct}_repaired_by_anti_entropy`] = delays.filter((d) => d > 1_000).length
      for (const r of results) {
        if (r.missing > 0) monitor.report({ invariant: 'convergence', detail: `${r.label}: ${r.missing} live replica(s) still without it ${repairBoundMs / 1000} s later` })
      }
      if (took === undefined) sim.note(`loss ${pct} %: not every change everywhere within ${repairBoundMs / 1000} s`)
    }
    sim.setLink(link(), 'no loss')
    monitor.expectConvergence('after the loss ended', repairBoundMs)
    await sim.run(10_000)
  },
}
