import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KafkaError as ErrorCode } from '../protocol/error-codes.ts'
import type { GroupCoordinator } from './coordinator.ts'
import type { ManualClock } from '../../test/fakes/clock.ts'
import type { JoinGroupResult } from './types.ts'
import { flush, joinReq, setup, syncReq, track, value } from './test-support.ts'

/** Two members join together and the leader syncs: a Stable generation 1 of `c-id1` (leader) and `c-id2`. */
async function stableGroup (coord: GroupCoordinator, clock: ManualClock): Promise<{ a: JoinGroupResult, b: JoinGroupResult }> {
  const ja = track(coord.joinGroup(joinReq({ protocols: [{ name: 'range', metadata: Buffer.from('A') }] })))
  const jb = track(coord.joinGroup(joinReq({ protocols: [{ name: 'range', metadata: Buffer.from('B') }] })))
  clock.advance(0)
  await flush()
  const a = value(ja)
  const b = value(jb)
  const sb = track(coord.syncGroup(syncReq({ memberId: b.memberId, generationId: b.generationId })))
  const sa = await coord.syncGroup(syncReq({
    memberId: a.memberId,
    generationId: a.generationId,
    assignments: [{ memberId: a.memberId, assignment: Buffer.from('pa') }, { memberId: b.memberId, assignment: Buffer.from('pb') }],
  }))
  await flush()
  assert.equal(sa.errorCode, ErrorCode.NONE)
  assert.equal(value(sb).errorCode, ErrorCode.NONE)
  assert.equal(coord.describeGroup('g').state, 'Stable')
  return { a, b }
}

describe('GroupCoordinator join phase', () => {
  it('two members joining together land in one generation with one leader that sees both metadatas', async () => {
    const { clock, coord } = setup({ initialRebalanceDelayMs: 3000 })
    const ja = track(coord.joinGroup(joinReq({ protocols: [{ name: 'range', metadata: Buffer.from('A') }] })))
    clock.advance(100)
    const jb = track(coord.joinGroup(joinReq({ protocols: [{ name: 'range', metadata: Buffer.from('B') }] })))
    clock.advance(2900)
    await flush()
    // A member arrived during the delay, so the coordinator waits one more delay (Kafka's InitialDelayedJoin).
    assert.equal(ja.done, false)
    clock.advance(3000)
    await flush()
    const a = value(ja)
    const b = value(jb)
    assert.equal(a.errorCode, ErrorCode.NONE)
    assert.equal(b.errorCode, ErrorCode.NONE)
    assert.equal(a.generationId, 1)
    assert.equal(b.generationId, 1)
    assert.equal(a.memberId, 'c-id1')
    assert.equal(b.memberId, 'c-id2')
    assert.equal(a.leaderId, 'c-id1')
    assert.equal(b.leaderId, 'c-id1')
    assert.equal(a.protocolName, 'range')
    assert.deepEqual(a.members.map((m) => [m.memberId, m.metadata.toString()]), [['c-id1', 'A'], ['c-id2', 'B']])
    assert.deepEqual(b.members, [])
    assert.equal(coord.describeGroup('g').state, 'CompletingRebalance')
  })

  it('with no initial delay, members joining in the same tick still share the first generation', async () => {
    const { clock, coord } = setup()
    const ja = track(coord.joinGroup(joinReq()))
    const jb = track(coord.joinGroup(joinReq()))
    await flush()
    assert.equal(ja.done, false)
    clock.advance(0)
    await flush()
    assert.equal(value(ja).generationId, 1)
    assert.equal(value(jb).generationId, 1)
    assert.equal(value(ja).members.length, 2)
  })

  it('a third member joining a Stable group makes the others see REBALANCE_IN_PROGRESS and rejoin into generation 2', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stableGroup(coord, clock)
    const jc = track(coord.joinGroup(joinReq({ clientId: 'x' })))
    await flush()
    assert.equal(jc.done, false)
    assert.equal(coord.describeGroup('g').state, 'PreparingRebalance')
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS)
    const ra = track(coord.joinGroup(joinReq({ memberId: a.memberId })))
    await flush()
    assert.equal(ra.done, false)
    const rb = track(coord.joinGroup(joinReq({ memberId: b.memberId })))
    await flush()
    // Everyone rejoined: the join completes at once, without waiting for the rebalance timeout.
    for (const t of [ra, rb, jc]) assert.equal(value(t).generationId, 2)
    assert.equal(value(jc).memberId, 'x-id3')
    assert.equal(value(ra).leaderId, a.memberId)
    assert.equal(value(ra).members.length, 3)
  })

  it('a member that does not rejoin within the rebalance timeout is removed', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stableGroup(coord, clock)
    // The rebalance timeout is the largest member's (30 s). b keeps heartbeating, so only the
    // rebalance timeout, not its session, can remove it.
    const jc = track(coord.joinGroup(joinReq()))
    const ra = track(coord.joinGroup(joinReq({ memberId: a.memberId })))
    for (let i = 0; i < 5; i++) {
      clock.advance(5000)
      assert.equal(coord.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS)
      await flush()
      assert.equal(ra.done, false)
    }
    clock.advance(5000)
    await flush()
    assert.equal(value(ra).generationId, 2)
    assert.deepEqual(value(ra).members.map((m) => m.memberId).sort(), [a.memberId, value(jc).memberId].sort())
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('a silent member is removed when its session expires and the rest rebalance', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stableGroup(coord, clock)
    for (let t = 0; t < 9000; t += 3000) {
      clock.advance(3000)
      assert.equal(coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.NONE)
    }
    clock.advance(1000)
    assert.equal(coord.describeGroup('g').state, 'PreparingRebalance')
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID)
    const ra = await coord.joinGroup(joinReq({ memberId: a.memberId }))
    assert.equal(ra.generationId, 2)
    assert.deepEqual(ra.members.map((m) => m.memberId), [a.memberId])
  })

  it('a follower rejoining a Stable group with the same metadata gets the current generation back', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stableGroup(coord, clock)
    const rb = await coord.joinGroup(joinReq({ memberId: b.memberId, protocols: [{ name: 'range', metadata: Buffer.from('B') }] }))
    assert.deepEqual({ ...rb, members: rb.members.length }, { errorCode: 0, generationId: 1, protocolName: 'range', leaderId: a.memberId, memberId: b.memberId, members: 0 })
    assert.equal(coord.describeGroup('g').state, 'Stable')
    const sb = await coord.syncGroup(syncReq({ memberId: b.memberId }))
    assert.equal(sb.assignment.toString(), 'pb')
  })

  it('the leader rejoining, or a follower with changed metadata, starts a rebalance', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stableGroup(coord, clock)
    const ra = track(coord.joinGroup(joinReq({ memberId: a.memberId, protocols: [{ name: 'range', metadata: Buffer.from('A') }] })))
    await flush()
    assert.equal(coord.describeGroup('g').state, 'PreparingRebalance')
    const rb = track(coord.joinGroup(joinReq({ memberId: b.memberId, protocols: [{ name: 'range', metadata: Buffer.from('B2') }] })))
    await flush()
    assert.equal(value(ra).generationId, 2)
    assert.equal(value(ra).members.find((m) => m.memberId === b.memberId)?.metadata.toString(), 'B2')
    assert.equal(value(rb).generationId, 2)
  })

  it('the protocol is chosen by vote among those every member supports', async () => {
    const { clock, coord } = setup()
    const p = (...names: string[]): { name: string, metadata: Buffer }[] => names.map((name) => ({ name, metadata: Buffer.from(name) }))
    const ja = track(coord.joinGroup(joinReq({ protocols: p('roundrobin', 'range', 'sticky') })))
    const jb = track(coord.joinGroup(joinReq({ protocols: p('range', 'roundrobin') })))
    const jc = track(coord.joinGroup(joinReq({ protocols: p('sticky', 'range', 'roundrobin') })))
    clock.advance(0)
    await flush()
    // sticky is not supported by b; range gets two votes (b and c), roundrobin one.
    for (const t of [ja, jb, jc]) assert.equal(value(t).protocolName, 'range')
    assert.equal(value(ja).members[2]?.metadata.toString(), 'range')
  })

  it('a v4+ new member first gets MEMBER_ID_REQUIRED with its id, then joins with it', async () => {
    const { clock, coord } = setup()
    const first = await coord.joinGroup(joinReq({ requireKnownMemberId: true }))
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    assert.equal(first.memberId, 'c-id1')
    assert.equal(coord.describeGroup('g').state, 'Empty')
    const second = track(coord.joinGroup(joinReq({ memberId: first.memberId, requireKnownMemberId: true })))
    clock.advance(0)
    await flush()
    assert.equal(value(second).errorCode, ErrorCode.NONE)
    assert.equal(value(second).memberId, 'c-id1')
    assert.equal(value(second).leaderId, 'c-id1')
  })

  it('an id handed out with MEMBER_ID_REQUIRED expires after the session timeout', async () => {
    const { clock, coord } = setup()
    const first = await coord.joinGroup(joinReq({ requireKnownMemberId: true }))
    clock.advance(10_000)
    const late = await coord.joinGroup(joinReq({ memberId: first.memberId }))
    assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(clock.pendingTimers, 0)
  })

  it('rejects bad joins: empty group id, session timeout out of range, unknown member', async () => {
    const { clock, coord } = setup()
    assert.equal((await coord.joinGroup(joinReq({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID)
    assert.equal((await coord.joinGroup(joinReq({ sessionTimeoutMs: 5999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
    assert.equal((await coord.joinGroup(joinReq({ sessionTimeoutMs: 1_800_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT)
    const unknownGroup = await coord.joinGroup(joinReq({ memberId: 'c-nope' }))
    assert.deepEqual(unknownGroup, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, generationId: -1, protocolName: '', leaderId: '', memberId: 'c-nope', members: [] })
    await stableGroup(coord, clock)
    assert.equal((await coord.joinGroup(joinReq({ memberId: 'c-nope' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('no common protocol or a different protocol type gives INCONSISTENT_GROUP_PROTOCOL', async () => {
    const { clock, coord } = setup()
    const { a } = await stableGroup(coord, clock)
    const other = await coord.joinGroup(joinReq({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }))
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    assert.equal((await coord.joinGroup(joinReq({ protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    assert.equal((await coord.joinGroup(joinReq({ groupId: 'h', protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    assert.equal((await coord.joinGroup(joinReq({ memberId: a.memberId, protocols: [{ name: 'x', metadata: Buffer.alloc(0) }] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    assert.equal(coord.describeGroup('g').state, 'Stable')
  })
})
