import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import { KafkaError as ErrorCode } from '../protocol/error-codes.ts'
import type { GroupProtocol, JoinGroupResult } from './types.ts'
import { flush, joinReq, setup, syncReq, track } from './test-support.ts'
import type { Tracked } from './test-support.ts'

const CLIENTS = 4
const KNOWN_CODES = new Set<number>(Object.values(ErrorCode))
const PROTOCOLS: GroupProtocol[][] = [
  [{ name: 'range', metadata: Buffer.from('r') }],
  [{ name: 'roundrobin', metadata: Buffer.from('rr') }, { name: 'range', metadata: Buffer.from('r') }],
  [{ name: 'roundrobin', metadata: Buffer.from('rr') }],
]

type Action =
  | { t: 'join' | 'sync' | 'hb' | 'leave' | 'commit', c: number, p: number, stale: boolean }
  | { t: 'advance', ms: number }

// Mostly requests and short steps, so multi-member generations form; sometimes long silences.
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constantFrom('join', 'join', 'sync', 'sync', 'hb', 'leave', 'commit'), c: fc.nat(CLIENTS - 1), p: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.nat(PROTOCOLS.length - 1)), stale: fc.boolean() }) as fc.Arbitrary<Action> },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance'), ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2000 })) }) as fc.Arbitrary<Action> },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('advance'), ms: fc.integer({ min: 2000, max: 25_000 }) }) as fc.Arbitrary<Action> },
)

interface Client {
  memberId: string
  lastJoin: JoinGroupResult | null
  /** The join answer before `lastJoin`: requests built from it model delayed, stale messages. */
  prevJoin: JoinGroupResult | null
  requireKnown: boolean
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
}

/** A client that believes what the coordinator last told it, like kafkajs does. */
function onJoined (client: Client, r: JoinGroupResult): void {
  if (r.errorCode === ErrorCode.NONE) { client.memberId = r.memberId; client.prevJoin = client.lastJoin; client.lastJoin = r }
  if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) client.memberId = r.memberId
  if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) { client.memberId = ''; client.lastJoin = null }
}

it('random join/sync/heartbeat/leave/commit/time sequences keep the group invariants and settle every held request', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(action, { minLength: 5, maxLength: 120, size: 'max' }),
    fc.constantFrom(0, 3000),
    fc.array(fc.record({ requireKnown: fc.boolean(), sessionTimeoutMs: fc.integer({ min: 6000, max: 15_000 }), rebalanceTimeoutMs: fc.integer({ min: 1000, max: 20_000 }) }), { minLength: CLIENTS, maxLength: CLIENTS }),
    async (actions, initialRebalanceDelayMs, configs) => {
      const { clock, coord } = setup({ initialRebalanceDelayMs })
      const clients: Client[] = configs.map((c) => ({ memberId: '', lastJoin: null, prevJoin: null, ...c }))
      const held: Tracked<unknown>[] = []
      const byGeneration = new Map<number, { leaderId: string, protocolName: string }>()
      let maxGeneration = -1

      const checkJoin = (r: JoinGroupResult): void => {
        assert.ok(KNOWN_CODES.has(r.errorCode))
        if (r.errorCode !== ErrorCode.NONE) return
        // One leader and one protocol per generation; only the leader sees the member list.
        const seen = byGeneration.get(r.generationId) ?? { leaderId: r.leaderId, protocolName: r.protocolName }
        assert.deepEqual({ leaderId: r.leaderId, protocolName: r.protocolName }, seen)
        byGeneration.set(r.generationId, seen)
        if (r.members.length > 0) assert.equal(r.memberId, r.leaderId)
        if (r.memberId === r.leaderId) assert.ok(r.members.some((m) => m.memberId === r.memberId))
      }

      const checkGroup = (): void => {
        const d = coord.describeGroup('g')
        assert.ok(d.generationId >= maxGeneration, `generation went back from ${maxGeneration} to ${d.generationId}`)
        maxGeneration = d.generationId
        const ids = d.members.map((m) => m.memberId)
        assert.equal(d.leaderId === '', ids.length === 0)
        if (ids.length > 0) assert.ok(ids.includes(d.leaderId))
        if (d.state === 'Stable') {
          for (const m of d.members) assert.equal(m.assignment.toString(), `${d.generationId}:${m.memberId}`)
        }
      }

      for (const a of actions) {
        if (a.t === 'advance') {
          clock.advance(a.ms)
        } else {
          const client = clients[a.c]
          assert.ok(client !== undefined)
          const join = a.stale && a.t !== 'join' ? client.prevJoin : client.lastJoin
          const ids = { groupId: 'g', memberId: join?.memberId ?? client.memberId, generationId: join?.generationId ?? -1 }
          if (a.t === 'join') {
            const p = coord.joinGroup(joinReq({ ...ids, clientId: `c${a.c}`, protocols: PROTOCOLS[a.p], requireKnownMemberId: client.requireKnown, sessionTimeoutMs: client.sessionTimeoutMs, rebalanceTimeoutMs: client.rebalanceTimeoutMs }))
            held.push(track(p.then((r) => { checkJoin(r); onJoined(client, r) })))
          } else if (a.t === 'sync') {
            const lj = join
            const assignments = lj === null ? [] : lj.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`${lj.generationId}:${m.memberId}`) }))
            held.push(track(coord.syncGroup(syncReq({ ...ids, assignments })).then((r) => {
              assert.ok(KNOWN_CODES.has(r.errorCode))
              if (r.errorCode === ErrorCode.NONE) assert.equal(r.assignment.toString().split(':')[0], String(ids.generationId))
            })))
          } else if (a.t === 'hb') {
            const code = coord.heartbeat(ids)
            assert.ok(KNOWN_CODES.has(code))
            if (code === ErrorCode.UNKNOWN_MEMBER_ID) client.memberId = ''
          } else if (a.t === 'leave') {
            assert.ok(KNOWN_CODES.has(coord.leaveGroup(ids)))
            client.memberId = ''
            client.lastJoin = null
          } else {
            assert.ok(KNOWN_CODES.has(coord.validateCommit(ids)))
          }
        }
        await flush()
        checkGroup()
      }

      // With nobody talking any more, every session and rebalance timeout runs out.
      for (let i = 0; i < 20; i++) {
        clock.advance(60_000)
        await flush()
        checkGroup()
      }
      assert.ok(held.every((h) => h.done), 'a JoinGroup or SyncGroup was never answered')
      assert.equal(coord.describeGroup('g').members.length, 0)
      coord.stop()
      assert.equal(clock.pendingTimers, 0)
    },
  ), { numRuns: 300 })
})

it('stop() in the middle of random sequences answers every held request', async () => {
  await fc.assert(fc.asyncProperty(fc.array(action, { maxLength: 40, size: 'max' }), async (actions) => {
    const { clock, coord } = setup({ initialRebalanceDelayMs: 3000 })
    const memberIds: string[] = Array.from({ length: CLIENTS }, () => '')
    const held: Tracked<unknown>[] = []
    for (const a of actions) {
      if (a.t === 'advance') clock.advance(a.ms)
      else if (a.t === 'join') held.push(track(coord.joinGroup(joinReq({ memberId: memberIds[a.c] ?? '' })).then((r) => { memberIds[a.c] = r.memberId })))
      else if (a.t === 'sync') held.push(track(coord.syncGroup(syncReq({ memberId: memberIds[a.c] ?? '' }))))
      else if (a.t === 'hb') coord.heartbeat({ groupId: 'g', memberId: memberIds[a.c] ?? '', generationId: 1 })
      await flush()
    }
    coord.stop()
    await flush()
    assert.ok(held.every((h) => h.done))
    assert.equal(clock.pendingTimers, 0)
  }), { numRuns: 200 })
})
