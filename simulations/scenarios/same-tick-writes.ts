/**
 * Same-tick conflicting writes (ring-crdt.md §9.2, §9.12): two nodes write the same register in
 * the same millisecond, from the same view. dskit's second-resolution rules let such replicas
 * diverge forever; ours order every register by (HLC timestamp, rank, writer id), so all must
 * agree within 1 s. Three kinds of conflict, ten partitions each, all made of lifecycle-allowed
 * edits through `replica.edit` (the API the operator endpoints use):
 * - delete vs reactivate an inactive, ownerless partition (equal stamps: the tombstone's rank wins);
 * - two writers set the same pending partition inactive (equal stamps and values: writer id decides);
 * - one writer locks a partition while another reactivates it (two registers, both kept).
 * Writers other than a deleter register as owners in the same edit (peers accept partition
 * changes only from owners, ring/gossip-authorize.ts). That check costs the delete/reactivate
 * pairs their 1 s: a replica that receives the reactivation first sees an active partition and
 * ignores the deletion (no one may delete an active partition), so it learns the winning
 * tombstone through push/pull from a replica that has it — a few anti-entropy rounds (30 s
 * ± 25 % each; 49–60 s for seeds 1–3), so the bound is 120 s.
 */
import { addOwner, claimPartition, deletePartition, removeOwner, setPartitionLock, setPartitionState } from '../../ring/edits.ts'
import type { RingEdit } from '../../ring/gossip-tx.ts'
import { compareHlc } from '../../ring/hlc.ts'
import { merge } from '../../ring/model.ts'
import type { Stamp } from '../../ring/register.ts'
import type { SimNode } from '../node.ts'
import type { Scenario, ScenarioContext } from '../scenario.ts'
import { formCluster, seconds, twoZoneSetup, waitFor } from './common.ts'

const base = 100
const perKind = 10

function replicaOf (n: SimNode): NonNullable<SimNode['incarnation']>['replica'] {
  const inc = n.incarnation
  if (inc === undefined) throw new Error(`${n.id} is not running`)
  return inc.replica
}

/** `edit` with `node` registered as owner of `partition` under the same stamp (one register each). */
function asOwner (node: SimNode, partition: number, edit: RingEdit): RingEdit {
  return (s, at) => {
    const owned = addOwner(s, at, { ownerId: node.id, partition, zone: node.zone })
    const r = edit(owned.state, at)
    return { state: r.state, delta: merge(owned.delta, r.delta).state }
  }
}

async function prepare (ctx: ScenarioContext, writer: SimNode): Promise<void> {
  ctx.sim.note(`${writer.id}: create and own partitions ${base}–${base + 3 * perKind - 1}; make the first ${perKind} and the last ${perKind} inactive, and give up the first ${perKind}`)
  await ctx.sim.drive(replicaOf(writer).edit((tx) => {
    for (let k = 0; k < 3 * perKind; k++) tx.apply((s, at) => claimPartition(s, at, { ownerId: writer.id, partition: base + k, zone: writer.zone }))
  }))
  // Let the creation arrive first: a replica that gets the downscale of a partition it has never
  // seen ignores it (gossip-authorize.ts) until push/pull brings both.
  await ctx.sim.run(500)
  await ctx.sim.drive(replicaOf(writer).edit((tx) => {
    for (let k = 0; k < perKind; k++) {
      tx.apply((s, at) => setPartitionState(s, at, base + k, 'inactive'))
      tx.apply((s, at) => setPartitionState(s, at, base + 2 * perKind + k, 'inactive'))
      tx.apply((s, at) => removeOwner(s, at, writer.id, base + k))
    }
  }))
}

export const sameTickWritesScenario: Scenario = {
  name: 'same-tick-writes',
  title: 'Same-tick conflicting writes',
  description: 'Two zones. Thirty new partitions, then in one millisecond ten pairs of nodes each delete and reactivate the same inactive partition, ten pairs set the same pending partition inactive, and ten pairs lock and reactivate the same inactive partition. Writers other than deleters register as owners in the same edit. Every replica must agree within 120 s (four anti-entropy intervals: a replica that gets a reactivation before the concurrent deletion ignores the deletion until push/pull brings it); a delete and a reactivation with equal stamps must end deleted everywhere.',
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
      const xNode = nodes[(2 * k) % nodes.length] as SimNode
      const yNode = nodes[(2 * k + 1) % nodes.length] as SimNode
      const [x, y] = [replicaOf(xNode), replicaOf(yNode)]
      const pair = (kind: 'delete' | 'pending' | 'lock', id: number, fx: RingEdit, fy: RingEdit): void => {
        const rec: (typeof stamps)[number] = { kind, id }
        stamps.push(rec)
        writes.push(
          x.edit((tx) => tx.apply((s, at) => { rec.x = at; return fx(s, at) })),
          y.edit((tx) => tx.apply((s, at) => { rec.y = at; return fy(s, at) })),
        )
      }
      const [d, p, l] = [base + k, base + perKind + k, base + 2 * perKind + k]
      pair('delete', d, (s, at) => deletePartition(s, at, d), asOwner(yNode, d, (s, at) => setPartitionState(s, at, d, 'active')))
      pair('pending', p, asOwner(xNode, p, (s, at) => setPartitionState(s, at, p, 'inactive')), asOwner(yNode, p, (s, at) => setPartitionState(s, at, p, 'inactive')))
      pair('lock', l, asOwner(xNode, l, (s, at) => setPartitionLock(s, at, l, true)), asOwner(yNode, l, (s, at) => setPartitionState(s, at, l, 'active')))
    }
    const failed = (await sim.drive(Promise.allSettled(writes))).filter((r) => r.status === 'rejected').length
    const converged = monitor.expectConvergence('after the conflicting writes', 120_000)
    await waitFor(ctx, () => converged.afterMs !== undefined || converged.failed === true, 125_000)
    ctx.metrics.converged_s = seconds(converged.afterMs)
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
