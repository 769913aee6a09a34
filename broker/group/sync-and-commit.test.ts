import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { KafkaError as ErrorCode } from '../protocol/error-codes.ts'
import type { GroupCoordinator } from './coordinator.ts'
import type { ManualClock } from '../../test/fakes/clock.ts'
import type { JoinGroupResult, MembershipChangeEvent, RebalanceEvent } from './types.ts'
import { flush, joinReq, setup, syncReq, track, value } from './test-support.ts'

/** Two members joined (generation 1, CompletingRebalance); nobody has synced yet. */
async function joined (coord: GroupCoordinator, clock: ManualClock): Promise<{ a: JoinGroupResult, b: JoinGroupResult }> {
  const ja = track(coord.joinGroup(joinReq()))
  const jb = track(coord.joinGroup(joinReq()))
  clock.advance(0)
  await flush()
  return { a: value(ja), b: value(jb) }
}

async function stable (coord: GroupCoordinator, clock: ManualClock): Promise<{ a: JoinGroupResult, b: JoinGroupResult }> {
  const { a, b } = await joined(coord, clock)
  const sb = track(coord.syncGroup(syncReq({ memberId: b.memberId })))
  await coord.syncGroup(syncReq({ memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: Buffer.from('pa') }, { memberId: b.memberId, assignment: Buffer.from('pb') }] }))
  await flush()
  assert.equal(value(sb).errorCode, ErrorCode.NONE)
  return { a, b }
}

describe('GroupCoordinator sync, heartbeat and leave', () => {
  it("the leader's SyncGroup releases the followers with their assignments", async () => {
    const { clock, coord } = setup()
    const { a, b } = await joined(coord, clock)
    assert.equal(a.leaderId, a.memberId)
    const sb = track(coord.syncGroup(syncReq({ memberId: b.memberId })))
    clock.advance(5000)
    await flush()
    assert.equal(sb.done, false)
    // A member the leader leaves out gets an empty assignment.
    const sa = await coord.syncGroup(syncReq({ memberId: a.memberId, assignments: [{ memberId: b.memberId, assignment: Buffer.from('pb') }] }))
    await flush()
    assert.deepEqual(sa, { errorCode: ErrorCode.NONE, assignment: Buffer.alloc(0) })
    assert.deepEqual(value(sb), { errorCode: ErrorCode.NONE, assignment: Buffer.from('pb') })
    const d = coord.describeGroup('g')
    assert.equal(d.state, 'Stable')
    assert.equal(d.protocol, 'range')
    assert.equal(d.protocolType, 'consumer')
    assert.deepEqual(d.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.metadata.toString(), m.assignment.toString()]), [
      [a.memberId, 'c', '/127.0.0.1', 'meta', ''],
      [b.memberId, 'c', '/127.0.0.1', 'meta', 'pb'],
    ])
  })

  it('a stale generation gets ILLEGAL_GENERATION', async () => {
    const { clock, coord } = setup()
    const { a } = await stable(coord, clock)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 0 }), ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await coord.syncGroup(syncReq({ memberId: a.memberId, generationId: 7 }))).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal(coord.validateCommit({ groupId: 'g', memberId: a.memberId, generationId: 0 }), ErrorCode.ILLEGAL_GENERATION)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.NONE)
  })

  it('an unknown member or group gets UNKNOWN_MEMBER_ID', async () => {
    const { clock, coord } = setup()
    assert.equal(coord.heartbeat({ groupId: 'nope', memberId: 'm', generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal((await coord.syncGroup(syncReq({ groupId: 'nope', memberId: 'm' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(coord.leaveGroup({ groupId: 'nope', memberId: 'm' }), ErrorCode.UNKNOWN_MEMBER_ID)
    await stable(coord, clock)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: 'm', generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal((await coord.syncGroup(syncReq({ memberId: 'm' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(coord.leaveGroup({ groupId: 'g', memberId: 'm' }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(coord.validateCommit({ groupId: 'g', memberId: 'm', generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(coord.heartbeat({ groupId: '', memberId: 'm', generationId: 1 }), ErrorCode.INVALID_GROUP_ID)
  })

  it('a leave rebalances the rest, and the last leave empties the group', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stable(coord, clock)
    assert.equal(coord.leaveGroup({ groupId: 'g', memberId: b.memberId }), ErrorCode.NONE)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS)
    const ra = await coord.joinGroup(joinReq({ memberId: a.memberId }))
    assert.equal(ra.generationId, 2)
    assert.deepEqual(ra.members.map((m) => m.memberId), [a.memberId])
    assert.equal(coord.leaveGroup({ groupId: 'g', memberId: a.memberId }), ErrorCode.NONE)
    const d = coord.describeGroup('g')
    assert.equal(d.state, 'Empty')
    assert.equal(d.generationId, 3)
    assert.deepEqual(d.members, [])
    assert.equal(clock.pendingTimers, 0)
  })

  it('the leader leaving hands leadership to a remaining member', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stable(coord, clock)
    coord.leaveGroup({ groupId: 'g', memberId: a.memberId })
    const rb = await coord.joinGroup(joinReq({ memberId: b.memberId }))
    assert.equal(rb.leaderId, b.memberId)
    assert.equal(rb.members.length, 1)
  })

  it('a new rebalance answers held syncs with REBALANCE_IN_PROGRESS', async () => {
    const { clock, coord } = setup()
    const { a, b } = await joined(coord, clock)
    const sb = track(coord.syncGroup(syncReq({ memberId: b.memberId })))
    const jc = track(coord.joinGroup(joinReq()))
    await flush()
    assert.equal(value(sb).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal((await coord.syncGroup(syncReq({ memberId: a.memberId }))).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    coord.joinGroup(joinReq({ memberId: a.memberId })).catch(assert.fail)
    coord.joinGroup(joinReq({ memberId: b.memberId })).catch(assert.fail)
    await flush()
    assert.equal(value(jc).generationId, 2)
  })

  it('a leader that never syncs is expired by its session, which releases the followers to rejoin', async () => {
    const { clock, coord } = setup()
    const { a, b } = await joined(coord, clock)
    const sb = track(coord.syncGroup(syncReq({ memberId: b.memberId })))
    clock.advance(10_000)
    await flush()
    assert.equal(value(sb).errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID)
    const rb = await coord.joinGroup(joinReq({ memberId: b.memberId }))
    assert.equal(rb.leaderId, b.memberId)
    assert.equal(rb.generationId, 2)
  })

  it('logs rebalances and expiries and calls the metrics hooks', async () => {
    const lines: Record<string, unknown>[] = []
    const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } })
    const rebalances: RebalanceEvent[] = []
    const changes: MembershipChangeEvent[] = []
    const { clock, coord } = setup({ logger, onRebalance: (e) => { rebalances.push(e) }, onMembershipChange: (e) => { changes.push(e); throw new Error('hook bug') } })
    await stable(coord, clock)
    clock.advance(10_000)
    const completed = lines.find((l) => l.msg === 'rebalance completed')
    assert.equal(completed?.groupId, 'g')
    assert.equal(completed?.generationId, 1)
    assert.deepEqual(completed?.members, ['c-id1', 'c-id2'])
    assert.ok(lines.some((l) => l.msg === 'member session expired'))
    assert.deepEqual(rebalances.map((r) => [r.generationId, r.members, r.protocolName]), [[1, 2, 'range'], [2, 0, null]])
    assert.deepEqual(changes.map((c) => c.change), ['joined', 'joined', 'session-timeout', 'session-timeout'])
  })
})

describe('GroupCoordinator commit validation', () => {
  it('a simple commit (generation -1) is allowed for an unknown or Empty group only', async () => {
    const { clock, coord } = setup()
    assert.equal(coord.validateCommit({ groupId: 'solo', memberId: '', generationId: -1 }), ErrorCode.NONE)
    assert.equal(coord.describeGroup('solo').state, 'Empty')
    assert.equal(coord.validateCommit({ groupId: 'other', memberId: '', generationId: 3 }), ErrorCode.ILLEGAL_GENERATION)
    await stable(coord, clock)
    assert.equal(coord.validateCommit({ groupId: 'g', memberId: '', generationId: -1 }), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('a member commits with its current generation, also while a rebalance is being prepared', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stable(coord, clock)
    assert.equal(coord.validateCommit({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.NONE)
    coord.leaveGroup({ groupId: 'g', memberId: b.memberId })
    assert.equal(coord.describeGroup('g').state, 'PreparingRebalance')
    assert.equal(coord.validateCommit({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.NONE)
  })

  it('commits are refused with REBALANCE_IN_PROGRESS while awaiting the leader sync', async () => {
    const { clock, coord } = setup()
    const { a } = await joined(coord, clock)
    assert.equal(coord.validateCommit({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS)
  })

  it('heartbeats move the session deadline without creating timers', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stable(coord, clock)
    for (let i = 0; i < 100; i++) {
      clock.advance(1000)
      coord.heartbeat({ groupId: 'g', memberId: a.memberId, generationId: 1 })
      coord.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 })
    }
    assert.equal(clock.pendingTimers, 2)
    assert.equal(coord.describeGroup('g').state, 'Stable')
  })

  it('a commit refreshes the session like a heartbeat', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stable(coord, clock)
    for (let i = 0; i < 5; i++) {
      clock.advance(4000)
      assert.equal(coord.validateCommit({ groupId: 'g', memberId: a.memberId, generationId: 1 }), ErrorCode.NONE)
      assert.equal(coord.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), ErrorCode.NONE)
    }
    assert.equal(coord.describeGroup('g').state, 'Stable')
  })
})

describe('GroupCoordinator lifecycle', () => {
  it('stop() answers held joins and syncs with COORDINATOR_NOT_AVAILABLE and leaves no timers', async () => {
    const { clock, coord } = setup()
    const { a, b } = await stable(coord, clock)
    const sa = track(coord.joinGroup(joinReq({ memberId: a.memberId })))
    const other = track(coord.joinGroup(joinReq({ groupId: 'h' })))
    clock.advance(0)
    await flush()
    const joinedH = value(other)
    const syncH = track(coord.syncGroup(syncReq({ groupId: 'h', memberId: joinedH.memberId, generationId: 99 })))
    const held = track(coord.joinGroup(joinReq({ groupId: 'h', memberId: '' })))
    await coord.joinGroup(joinReq({ groupId: 'k', requireKnownMemberId: true }))
    coord.stop()
    await flush()
    assert.equal(value(sa).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    assert.equal(value(held).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    assert.equal(value(syncH).errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal(clock.pendingTimers, 0)
    assert.equal(coord.heartbeat({ groupId: 'g', memberId: b.memberId, generationId: 1 }), ErrorCode.COORDINATOR_NOT_AVAILABLE)
    assert.equal((await coord.joinGroup(joinReq())).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    coord.stop()
  })

  it('deleteGroup deletes only Empty groups', async () => {
    const { clock, coord } = setup()
    assert.equal(coord.deleteGroup('g'), ErrorCode.GROUP_ID_NOT_FOUND)
    const { a, b } = await stable(coord, clock)
    assert.equal(coord.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP)
    coord.leaveGroup({ groupId: 'g', memberId: a.memberId })
    coord.leaveGroup({ groupId: 'g', memberId: b.memberId })
    assert.equal(coord.deleteGroup('g'), ErrorCode.NONE)
    assert.equal(coord.describeGroup('g').state, 'Dead')
    assert.deepEqual(coord.listGroups(), [])
  })
})
