/**
 * Write authorisation of partition registers in a received delta (ring-crdt.md §5.3
 * "Mitigations"): what the writer of a delta may change about a partition, judged against the
 * receiver's view. gossip-validate.ts has already bound the writer to the sending peer; owner
 * and member entries are the writer's own by then. Without this, any member holding the cluster
 * key could delete every active partition (the lifecycler never re-creates one) or fill the ring
 * with partitions nobody owns — the simulator's `rogue-peer` scenario did both.
 *
 * A partition's state or lock register may change (win over the local one) only when:
 * - a deletion: by anyone, of a partition that is locally `inactive` and unlocked (the
 *   transition table's only way to `deleted`), whoever owns it — so no one can delete an active
 *   or pending partition. The lifecycler deletes only after `delete_inactive_partition_after`
 *   with no owners, judged on its own view; receivers do not repeat those two checks, since a
 *   concurrent registration or a few seconds of clock difference would make honest replicas
 *   judge one deletion differently and diverge until anti-entropy. The cost: a keyholder can
 *   delete a downscaled (inactive) partition early, which ends reads of it before the lookback;
 * - anything else: the writer owns the partition — an active owner entry of it in the delta (a
 *   creation travels with the creator's registration) or in the local view. Creation, promotion,
 *   downscale and its cancel, and the lock are all written by owners (lifecycler.ts,
 *   downscale.ts). A keyholder can therefore still register itself as an owner and then
 *   downscale that partition (stop writes to it): ownership is not tied to configuration that
 *   receivers could check.
 *
 * The verdict is `ignore`, not `reject`: an honest delta can fail these checks on a receiver that
 * missed earlier gossip (a lost registration, say), and gossipsub must not penalise its writer
 * for that. The message is dropped and not forwarded; if it was honest, the next push/pull brings
 * its content in a full state. Full states are not checked here: they relay everyone's writes,
 * which the receiver cannot attribute without per-entry signatures (gossip-validate.ts "Limits").
 */
import { compareLww } from './register.ts'
import type { RingState } from './model.ts'
import { lockLww, ownerKey, partitionStateLww } from './model.ts'

/** Why `writer` may not make the partition changes of `delta`, or undefined when it may. */
export function unauthorizedPartitionWrite (local: RingState, delta: RingState, writer: string): string | undefined {
  for (const inc of delta.partitions.values()) {
    const cur = local.partitions.get(inc.id)
    const stateWins = inc.state.writer === writer && (cur === undefined || compareLww(partitionStateLww, inc.state, cur.state) > 0)
    const lockWins = inc.locked.writer === writer && cur !== undefined && compareLww(lockLww, inc.locked, cur.locked) > 0
    if (!stateWins && !lockWins) continue
    if (stateWins && inc.state.value === 'deleted') {
      if (cur !== undefined && cur.state.value === 'inactive' && !cur.locked.value) continue
      return `${writer} may not delete partition ${inc.id}: it is ${cur === undefined ? 'unknown here' : `${cur.state.value}${cur.locked.value ? ' and locked' : ''}`}, not inactive and unlocked`
    }
    if (owns(local, delta, writer, inc.id)) continue
    const what = stateWins ? `set partition ${inc.id} ${inc.state.value}` : `${inc.locked.value ? 'lock' : 'unlock'} partition ${inc.id}`
    return `${writer} may not ${what}: it does not own it`
  }
  return undefined
}

/** An active owner entry here or in the delta: an owner may give up ownership in the same edit. */
function owns (local: RingState, delta: RingState, writer: string, partition: number): boolean {
  const key = ownerKey(writer, partition)
  return delta.owners.get(key)?.value.state === 'active' || local.owners.get(key)?.value.state === 'active'
}
