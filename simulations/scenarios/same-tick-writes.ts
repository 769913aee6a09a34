/**
 * Same-tick conflicting writes (ring-crdt.md §9.2, §9.12): two nodes write the same register in
 * the same millisecond, from the same view. dskit's second-resolution rules let such replicas
 * diverge forever; ours order every register by (HLC timestamp, rank, writer id), so all must
 * agree within 1 s. Three kinds of conflict, ten partitions each, all made of lifecycle-allowed
 * edits through `replica.edit` (the API the operator endpoints use):
 * - delete vs reactivate an inactive, ownerless partition (equal stamps: the tombstone's rank wins);
 * - two writers set the same pending partition inactive (equal stamps and values: writer id decides);
 * - one writer locks a partition while another reactivates it (two registers, both kept).
 */
import { createPartition, deletePartition, setPartitionLock, setPartitionState } from '../../ring/edits.ts'
import type { RingEdit } from '../../ring/gossip-tx.ts'
import { compareHlc } from '../../ring/hlc.ts'
import type { Stamp } from '../../ring/register.ts'
import type { SimNode } from '../node.ts'
import type { Scenario, ScenarioContext } from '../scenario.ts'
import { formCluster, twoZoneSetup } from './common.ts'

const base = 100
const perKind = 10

function replicaOf (n: SimNode): NonNullable<SimNode['incarnation']>['replica'] {
  const inc = n.incarnation
  if (inc === undefined) throw new Error(`${n.id} is not running`)
  return inc.replica
}

async function prepare (ctx: ScenarioContext, writer: SimNode): Promise<void> {
  ctx.sim.note(`${writer.id}: create partitions ${base}–${base + 3 * perKind - 1}; make the first ${perKind} and the last ${perKind} inactive`)
  await ctx.sim.drive(replicaOf(writer).edit((tx) => {
    for (let k = 0; k < 3 * perKind; k++) tx.apply((s, at) => createPartition(s, at, base + k))
  }))
  await ctx.sim.drive(replicaOf(writer).edit((tx) => {
    for (let k = 0; k < perKind; k++) {
      tx.apply((s, at) => setPartitionState(s, at, base + k, 'inactive'))
      tx.apply((s, at) => setPartitionState(s, at, base + 2 * perKind + k, 'inactive'))
    }
  }))
}

export const sameTickWritesScenario: Scenario = {
  name: 'same-tick-writes',
  title: 'Same-tick conflicting writes',
  description: 'Two zones. Thirty new partitions, then in one millisecond ten pairs of nodes each delete and reactivate the same inactive partition, ten pairs set the same pending partition inactive, and ten pairs lock and reactivate the same inactive partition. Every replica must agree within 1 s; a delete and a reactivation with equal stamps must end deleted everywhere.',
  defaultNodes: 12,
  minNodes: 4,
  setup: twoZoneSetup,
  async run (ctx) {
    const { sim, monitor } = ctx
    await formCluster(ctx)
    const nodes = sim.list()
    await prepare(ctx, nodes[0] as SimNode)
    await sim.run(2_000)
    sim.note('same millisecond: 30 pairs of conflicting writes')
    const writes: Promise<unknown>[] = []
    /** The stamps each pair wrote with, by kind. */
    const stamps: { kind: 'delete' | 'pending' | 'lock', id: number, x?: Stamp, y?: Stamp }[] = []
    for (let k = 0; k < perKind; k++) {
      const x = replicaOf(nodes[(2 * k) % nodes.length] as SimNode)
      const y = replicaOf(nodes[(2 * k + 1) % nodes.length] as SimNode)
      const pair = (kind: 'delete' | 'pending' | 'lock', id: number, fx: RingEdit, fy: RingEdit): void => {
        const rec: (typeof stamps)[number] = { kind, id }
        stamps.push(rec)
        writes.push(
          x.edit((tx) => tx.apply((s, at) => { rec.x = at; return fx(s, at) })),
          y.edit((tx) => tx.apply((s, at) => { rec.y = at; return fy(s, at) })),
        )
      }
      pair('delete', base + k, (s, at) => deletePartition(s, at, base + k), (s, at) => setPartitionState(s, at, base + k, 'active'))
      pair('pending', base + perKind + k, (s, at) => setPartitionState(s, at, base + perKind + k, 'inactive'), (s, at) => setPartitionState(s, at, base + perKind + k, 'inactive'))
      pair('lock', base + 2 * perKind + k, (s, at) => setPartitionLock(s, at, base + 2 * perKind + k, true), (s, at) => setPartitionState(s, at, base + 2 * perKind + k, 'active'))
    }
    const failed = (await sim.drive(Promise.allSettled(writes))).filter((r) => r.status === 'rejected').length
    monitor.expectConvergence('after the conflicting writes', 1_000)
    await sim.run(3_000)
    const latest = monitor.latest()
    const sameTick = (r: (typeof stamps)[number]): boolean => r.x !== undefined && r.y !== undefined && compareHlc(r.x.ts, r.y.ts) === 0
    const deletes = stamps.filter((r) => r.kind === 'delete')
    const tiedDeletes = deletes.filter(sameTick)
    const tiedDeletesEndedDeleted = tiedDeletes.filter((r) => latest?.partitions.get(r.id)?.state.value === 'deleted').length
    ctx.metrics.refused_writes = failed
    ctx.metrics.pairs_on_the_same_stamp = stamps.filter(sameTick).length
    ctx.metrics.delete_vs_reactivate_ended_deleted = deletes.filter((r) => latest?.partitions.get(r.id)?.state.value === 'deleted').length
    ctx.metrics.lock_and_reactivate_both_kept = stamps.filter((r) => r.kind === 'lock' && latest?.partitions.get(r.id)?.locked.value === true && latest.partitions.get(r.id)?.state.value === 'active').length
    if (tiedDeletesEndedDeleted !== tiedDeletes.length) {
      monitor.report({ invariant: 'convergence', detail: `${tiedDeletes.length - tiedDeletesEndedDeleted} delete/reactivate pair(s) with equal stamps did not end deleted (the tombstone ranks higher)` })
    }
  },
}
