/**
 * A rogue peer with the cluster key (ring-crdt.md §5.3, §9.13): it connects to every node and
 * tries, in turn, a year-ahead timestamp, owner entries before binding itself, binding itself as
 * a member (allowed: it holds the key), a thousand fake pending partitions, owning and deleting
 * a partition, tombstones for other
 * nodes' owner entries, impersonating a-0, a forged full state, a flood of valid deltas, and a
 * tombstone storm over every partition. Whatever an honest replica adopts from it must be
 * something the lifecycle lets any member write (invariants.ts `RogueCheck`); the honest nodes
 * must keep agreeing and answering queries.
 */
import { RogueCheck } from '../invariants.ts'
import { RoguePeer } from '../rogue.ts'
import type { Scenario } from '../scenario.ts'
import { formCluster, twoZoneSetup } from './common.ts'

const year = 365 * 86_400_000

export const roguePeerScenario: Scenario = {
  name: 'rogue-peer',
  title: 'Rogue peer with the cluster key',
  description: 'Two zones and a rogue peer holding the cluster key. Attacks: future timestamps, unbound and foreign owner entries, binding itself, 1,000 fake partitions, owning and deleting a partition, impersonation, a forged full state, a 10 s flood of valid deltas, and a tombstone storm over every partition. Honest replicas may adopt only what the lifecycle lets any member write; they must keep agreeing (within 5 s of the rogue leaving) and answering queries.',
  defaultNodes: 12,
  minNodes: 4,
  setup: twoZoneSetup,
  async run (ctx) {
    const { sim, monitor } = ctx
    await formCluster(ctx)
    const rogue = new RoguePeer(sim)
    monitor.watchRogue(new RogueCheck(rogue.id, sim.node('a-0').incarnation?.config.max_clock_skew ?? 30_000))
    sim.note('rogue joins')
    await sim.drive(rogue.join())
    await sim.run(1_000)
    const attack = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      sim.note(`rogue: ${what}`)
      await sim.drive(fn())
      await sim.run(2_000)
    }
    const partitions = [...new Set(sim.list().flatMap((n) => n.partitions))]
    const existing = (id: number) => sim.node('a-0').incarnation?.replica.ring.partitions.get(id)
    await attack('its member entry a year ahead', () => rogue.publish({ members: [rogue.member(year)] }))
    await attack('an owner entry before binding itself', () => rogue.publish({ owners: [{ ownerId: rogue.id, partition: 0, value: { state: 'active', zone: 'a' }, ts: rogue.at(), writer: rogue.id }] }))
    await attack('binds itself as a member', () => rogue.publish({ members: [rogue.member()] }))
    await attack('1,000 fake pending partitions', () => rogue.publish({
      members: [rogue.member()],
      partitions: Array.from({ length: 1000 }, (_, i) => ({ id: 10_000 + i, state: { value: 'pending' as const, ts: rogue.at(), writer: rogue.id }, locked: { value: false, ts: rogue.at(), writer: rogue.id } })),
    }))
    await attack('registers itself as an owner of partition 0 and deletes it', () => rogue.publish({
      members: [rogue.member()],
      owners: [{ ownerId: rogue.id, partition: 0, value: { state: 'active', zone: 'a' }, ts: rogue.at(), writer: rogue.id }],
      partitions: [{ id: 0, state: { value: 'deleted' as const, ts: rogue.at(), writer: rogue.id }, locked: existing(0)?.locked ?? { value: false, ts: rogue.at(), writer: rogue.id } }],
    }))
    await attack('tombstones for other nodes\' owner entries', () => rogue.publish({
      members: [rogue.member()],
      owners: sim.list().flatMap((n) => n.partitions.map((p) => ({ ownerId: n.id, partition: p, value: { state: 'deleted' as const, zone: n.zone }, ts: rogue.at(), writer: rogue.id }))),
    }))
    await attack('impersonates a-0 (deletes its owner entry)', () => rogue.publish({
      owners: [{ ownerId: 'a-0', partition: 0, value: { state: 'deleted', zone: 'a' }, ts: rogue.at(), writer: 'a-0' }],
    }))
    await attack('pushes a forged full state to every node', () => Promise.all(sim.running().map((n) => rogue.push(n.id, {
      owners: [{ ownerId: 'b-0', partition: 0, value: { state: 'deleted', zone: 'b' }, ts: rogue.at(), writer: rogue.id }],
    }))))
    sim.note('rogue: floods 100 valid deltas per second for 10 s')
    for (let i = 0; i < 1000; i++) {
      await sim.drive(rogue.publish({ members: [rogue.member()] }))
      await sim.run(10)
    }
    await attack('tombstone storm over every partition', () => rogue.publish({
      members: [rogue.member()],
      partitions: partitions.flatMap((id) => {
        const p = existing(id)
        return p === undefined ? [] : [{ id, state: { value: 'deleted' as const, ts: rogue.at(), writer: rogue.id }, locked: p.locked }]
      }),
    }))
    await sim.run(3_000)
    const latest = monitor.latest()
    ctx.metrics.fake_partitions_adopted = latest === undefined ? 0 : [...latest.partitions.values()].filter((p) => p.id >= 10_000 && p.state.writer === rogue.id).length
    ctx.metrics.partitions_deleted_by_the_rogue = latest === undefined ? 0 : partitions.filter((id) => latest.partitions.get(id)?.state.value === 'deleted').length
    ctx.metrics.rogue_messages = rogue.sent
    ctx.metrics.rogue_registers_adopted = monitor.rogue?.adopted ?? 0
    sim.note('rogue leaves')
    await sim.drive(rogue.stop())
    monitor.expectConvergence('after the rogue left', 5_000)
    await sim.run(10_000)
  },
}
