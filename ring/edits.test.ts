/**
 * Local edits as named tables: the state before, the edit, and either the expected state and
 * delta or the reason the edit is refused.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as edits from './edits.ts'
import { RingEditError } from './errors.ts'
import type { RingEditReason } from './errors.ts'
import type { MergeResult, RingState } from './model.ts'
import { at, member, owner, partition, reg, ring, t } from './testing.ts'

type EditCase = {
  name: string
  local: RingState
  edit: (s: RingState) => MergeResult
} & ({ expectedState: RingState, expectedDelta: RingState } | { refused: RingEditReason })

const A = 'node-a'
const now = at(t(100), A)
const lock0 = reg(false, t(1), A)
const pending = partition(1, 'pending', t(10), A, lock0)
const active = partition(1, 'active', t(10), A, lock0)
const inactive = partition(1, 'inactive', t(10), A, lock0)
const lockedActive = partition(1, 'active', t(10), A, reg(true, t(11), A))
const empty = ring()

const cases: EditCase[] = [
  {
    name: 'creating a missing partition makes it pending',
    local: empty,
    edit: (s) => edits.createPartition(s, now, 1),
    expectedState: ring({ partitions: [partition(1, 'pending', t(100), A)] }),
    expectedDelta: ring({ partitions: [partition(1, 'pending', t(100), A)] }),
  },
  {
    name: 'creating an existing partition changes nothing, whatever its state',
    local: ring({ partitions: [active] }),
    edit: (s) => edits.createPartition(s, now, 1),
    expectedState: ring({ partitions: [active] }),
    expectedDelta: empty,
  },
  {
    name: 're-creating a deleted partition makes it pending again with a newer timestamp',
    local: ring({ partitions: [partition(1, 'deleted', t(50), 'node-b', lock0)] }),
    edit: (s) => edits.createPartition(s, now, 1),
    expectedState: ring({ partitions: [partition(1, 'pending', t(100), A, lock0)] }),
    expectedDelta: ring({ partitions: [partition(1, 'pending', t(100), A, lock0)] }),
  },
  {
    name: 'promoting a pending partition makes it active',
    local: ring({ partitions: [pending] }),
    edit: (s) => edits.setPartitionState(s, now, 1, 'active'),
    expectedState: ring({ partitions: [partition(1, 'active', t(100), A, lock0)] }),
    expectedDelta: ring({ partitions: [partition(1, 'active', t(100), A, lock0)] }),
  },
  {
    name: 'setting the state a partition already has changes nothing and keeps its timestamp',
    local: ring({ partitions: [active] }),
    edit: (s) => edits.setPartitionState(s, now, 1, 'active'),
    expectedState: ring({ partitions: [active] }),
    expectedDelta: empty,
  },
  {
    name: 'an inactive partition cannot go back to pending',
    local: ring({ partitions: [inactive] }),
    edit: (s) => edits.setPartitionState(s, now, 1, 'pending'),
    refused: 'transition_not_allowed',
  },
  {
    name: 'an active partition cannot go back to pending',
    local: ring({ partitions: [active] }),
    edit: (s) => edits.setPartitionState(s, now, 1, 'pending'),
    refused: 'transition_not_allowed',
  },
  {
    name: 'a locked partition refuses state changes',
    local: ring({ partitions: [lockedActive] }),
    edit: (s) => edits.setPartitionState(s, now, 1, 'inactive'),
    refused: 'locked',
  },
  {
    name: 'changing the state of a missing partition is refused',
    local: empty,
    edit: (s) => edits.setPartitionState(s, now, 1, 'active'),
    refused: 'not_found',
  },
  {
    name: 'a stale writer (an HLC behind the state it edits) is refused rather than silently losing',
    local: ring({ partitions: [pending] }),
    edit: (s) => edits.setPartitionState(s, at(t(9), 'node-b'), 1, 'active'),
    refused: 'stale_timestamp',
  },
  {
    name: 'locking writes only the lock register',
    local: ring({ partitions: [active] }),
    edit: (s) => edits.setPartitionLock(s, now, 1, true),
    expectedState: ring({ partitions: [partition(1, 'active', t(10), A, reg(true, t(100), A))] }),
    expectedDelta: ring({ partitions: [partition(1, 'active', t(10), A, reg(true, t(100), A))] }),
  },
  {
    name: 'deleting an inactive partition with no live owner leaves a tombstone',
    local: ring({ partitions: [inactive], owners: [owner('node-b', 1, 'deleted', 'b', t(20))] }),
    edit: (s) => edits.deletePartition(s, now, 1),
    expectedState: ring({ partitions: [partition(1, 'deleted', t(100), A, lock0)], owners: [owner('node-b', 1, 'deleted', 'b', t(20))] }),
    expectedDelta: ring({ partitions: [partition(1, 'deleted', t(100), A, lock0)] }),
  },
  {
    name: 'deleting a partition that still has a live owner is refused',
    local: ring({ partitions: [inactive], owners: [owner('node-b', 1, 'active', 'b', t(20))] }),
    edit: (s) => edits.deletePartition(s, now, 1),
    refused: 'has_owners',
  },
  {
    name: 'deleting an active partition is refused',
    local: ring({ partitions: [active] }),
    edit: (s) => edits.deletePartition(s, now, 1),
    refused: 'transition_not_allowed',
  },
  {
    name: 'deleting an already deleted partition changes nothing',
    local: ring({ partitions: [partition(1, 'deleted', t(50), A)] }),
    edit: (s) => edits.deletePartition(s, now, 1),
    expectedState: ring({ partitions: [partition(1, 'deleted', t(50), A)] }),
    expectedDelta: empty,
  },
  {
    name: 'registering an owner of an existing partition stamps it now',
    local: ring({ partitions: [pending] }),
    edit: (s) => edits.addOwner(s, now, { ownerId: A, partition: 1, zone: 'a' }),
    expectedState: ring({ partitions: [pending], owners: [owner(A, 1, 'active', 'a', t(100))] }),
    expectedDelta: ring({ owners: [owner(A, 1, 'active', 'a', t(100))] }),
  },
  {
    name: 'an owner re-registering after a restart keeps its old timestamp when unchanged',
    local: ring({ partitions: [pending], owners: [owner(A, 1, 'active', 'a', t(20))] }),
    edit: (s) => edits.addOwner(s, now, { ownerId: A, partition: 1, zone: 'a' }),
    expectedState: ring({ partitions: [pending], owners: [owner(A, 1, 'active', 'a', t(20))] }),
    expectedDelta: empty,
  },
  {
    name: 'an owner re-registering in another zone gets a new timestamp',
    local: ring({ partitions: [pending], owners: [owner(A, 1, 'active', 'a', t(20))] }),
    edit: (s) => edits.addOwner(s, now, { ownerId: A, partition: 1, zone: 'b' }),
    expectedState: ring({ partitions: [pending], owners: [owner(A, 1, 'active', 'b', t(100))] }),
    expectedDelta: ring({ owners: [owner(A, 1, 'active', 'b', t(100))] }),
  },
  {
    name: 'an owner whose ownership was removed re-registers with a new timestamp',
    local: ring({ partitions: [pending], owners: [owner(A, 1, 'deleted', 'a', t(20))] }),
    edit: (s) => edits.addOwner(s, now, { ownerId: A, partition: 1, zone: 'a' }),
    expectedState: ring({ partitions: [pending], owners: [owner(A, 1, 'active', 'a', t(100))] }),
    expectedDelta: ring({ owners: [owner(A, 1, 'active', 'a', t(100))] }),
  },
  {
    name: 'registering an owner of a missing partition is refused',
    local: empty,
    edit: (s) => edits.addOwner(s, now, { ownerId: A, partition: 1, zone: 'a' }),
    refused: 'not_found',
  },
  {
    name: 'removing an owner the local view never saw still writes a tombstone',
    local: empty,
    edit: (s) => edits.removeOwner(s, now, A, 1),
    expectedState: ring({ owners: [owner(A, 1, 'deleted', '', t(100))] }),
    expectedDelta: ring({ owners: [owner(A, 1, 'deleted', '', t(100))] }),
  },
  {
    name: 'removing an owner keeps its zone on the tombstone',
    local: ring({ partitions: [active], owners: [owner(A, 1, 'active', 'a', t(20))] }),
    edit: (s) => edits.removeOwner(s, now, A, 1),
    expectedState: ring({ partitions: [active], owners: [owner(A, 1, 'deleted', 'a', t(100))] }),
    expectedDelta: ring({ owners: [owner(A, 1, 'deleted', 'a', t(100))] }),
  },
  {
    name: 'registering a member counts as its first heartbeat',
    local: empty,
    edit: (s) => edits.upsertMember(s, now, { nodeId: A, zone: 'a', addresses: ['/ip4/10.0.0.1/tcp/7946'] }),
    expectedState: ring({ members: [member(A, 'active', 'a', t(100), t(100), ['/ip4/10.0.0.1/tcp/7946'])] }),
    expectedDelta: ring({ members: [member(A, 'active', 'a', t(100), t(100), ['/ip4/10.0.0.1/tcp/7946'])] }),
  },
  {
    name: 're-registering an unchanged member changes nothing',
    local: ring({ members: [member(A, 'active', 'a', t(20), t(90), ['/x'])] }),
    edit: (s) => edits.upsertMember(s, now, { nodeId: A, zone: 'a', addresses: ['/x'] }),
    expectedState: ring({ members: [member(A, 'active', 'a', t(20), t(90), ['/x'])] }),
    expectedDelta: empty,
  },
  {
    name: 'a heartbeat writes only the heartbeat stamp',
    local: ring({ members: [member(A, 'active', 'a', t(20), t(90))] }),
    edit: (s) => edits.heartbeat(s, now, A),
    expectedState: ring({ members: [member(A, 'active', 'a', t(20), t(100))] }),
    expectedDelta: ring({ members: [member(A, 'active', 'a', t(20), t(100))] }),
  },
  {
    name: 'a heartbeat of an unregistered member is refused',
    local: empty,
    edit: (s) => edits.heartbeat(s, now, A),
    refused: 'not_found',
  },
  {
    name: 'a heartbeat of a member that left is refused',
    local: ring({ members: [member(A, 'left', 'a', t(20))] }),
    edit: (s) => edits.heartbeat(s, now, A),
    refused: 'not_found',
  },
  {
    name: 'a member that leaves becomes a tombstone without addresses',
    local: ring({ members: [member(A, 'active', 'a', t(20), t(90), ['/x'])] }),
    edit: (s) => edits.removeMember(s, now, A),
    expectedState: ring({ members: [member(A, 'left', 'a', t(100), t(90))] }),
    expectedDelta: ring({ members: [member(A, 'left', 'a', t(100), t(90))] }),
  },
  {
    name: 'a negative partition id is refused',
    local: empty,
    edit: (s) => edits.createPartition(s, now, -1),
    refused: 'invalid',
  },
  {
    name: 'an owner id longer than 255 bytes is refused',
    local: ring({ partitions: [pending] }),
    edit: (s) => edits.addOwner(s, now, { ownerId: 'x'.repeat(256), partition: 1, zone: 'a' }),
    refused: 'invalid',
  },
  {
    name: 'a writer id with a lone surrogate is refused (it cannot travel as UTF-8)',
    local: empty,
    edit: (s) => edits.createPartition(s, at(t(100), 'bad\uD800'), 1),
    refused: 'invalid',
  },
]

describe('local edits', () => {
  for (const c of cases) {
    it(c.name, () => {
      if ('refused' in c) {
        assert.throws(() => c.edit(c.local), (e: unknown) => e instanceof RingEditError && e.reason === c.refused)
        return
      }
      const r = c.edit(c.local)
      assert.deepEqual(r.state, c.expectedState)
      assert.deepEqual(r.delta, c.expectedDelta)
      if (r.delta.partitions.size + r.delta.owners.size + r.delta.members.size === 0) assert.equal(r.state, c.local)
    })
  }
})
