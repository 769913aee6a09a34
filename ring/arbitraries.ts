/**
 * fast-check arbitraries of ring states for the property tests (not used by production code).
 * Keys, timestamps and writers come from tiny domains on purpose: collisions (same key, same
 * timestamp, same writer, different value) are where LWW merges go wrong, so they must be common.
 */
import fc from 'fast-check'
import type { Hlc } from './hlc.ts'
import type { MemberEntry, OwnerEntry, PartitionEntry, RingState } from './model.ts'
import type { Lww, Stamp } from './register.ts'
import type { MemberState, OwnerState, PartitionRegisterState } from './states.ts'
import { ring } from './testing.ts'

export const arbTs: fc.Arbitrary<Hlc> = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 })).map(([wall, logical]) => ({ wall, logical }))
export const arbWriter = fc.constantFrom('w1', 'w2', 'w3')

function arbReg<V> (value: fc.Arbitrary<V>): fc.Arbitrary<Lww<V>> {
  return fc.tuple(value, arbTs, arbWriter).map(([v, ts, writer]) => ({ value: v, ts, writer }))
}

const arbStamp: fc.Arbitrary<Stamp> = fc.tuple(arbTs, arbWriter).map(([ts, writer]) => ({ ts, writer }))

export const arbPartition: fc.Arbitrary<PartitionEntry> = fc.tuple(
  fc.integer({ min: 0, max: 3 }),
  arbReg(fc.constantFrom<PartitionRegisterState>('pending', 'active', 'inactive', 'deleted')),
  arbReg(fc.boolean()),
).map(([id, state, locked]) => ({ id, state, locked }))

export const arbOwner: fc.Arbitrary<OwnerEntry> = fc.tuple(
  fc.constantFrom('a', 'b', 'c'),
  fc.integer({ min: 0, max: 2 }),
  fc.constantFrom<OwnerState>('active', 'deleted'),
  fc.constantFrom('z1', 'z2'),
  arbTs,
  arbWriter,
).map(([ownerId, partition, state, zone, ts, writer]) => ({ ownerId, partition, value: { state, zone }, ts, writer }))

export const arbMember: fc.Arbitrary<MemberEntry> = fc.tuple(
  fc.constantFrom('n1', 'n2', 'n3'),
  arbReg(fc.tuple(
    fc.constantFrom<MemberState>('active', 'left'),
    fc.constantFrom('z1', 'z2'),
    fc.subarray(['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/2']),
  ).map(([state, zone, addresses]) => ({ state, zone, addresses }))),
  arbStamp,
).map(([nodeId, info, heartbeat]) => ({ nodeId, info, heartbeat }))

export const arbRing: fc.Arbitrary<RingState> = fc.tuple(
  fc.array(arbPartition, { maxLength: 5 }),
  fc.array(arbOwner, { maxLength: 6 }),
  fc.array(arbMember, { maxLength: 4 }),
).map(([partitions, owners, members]) => ring({ partitions, owners, members }))

/** One-entry states: the shape of a single gossiped update. */
export const arbUpdate: fc.Arbitrary<RingState> = fc.oneof(
  arbPartition.map((p) => ring({ partitions: [p] })),
  arbOwner.map((o) => ring({ owners: [o] })),
  arbMember.map((m) => ring({ members: [m] })),
)
