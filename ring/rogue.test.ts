import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { encodeMessage } from './codec/index.ts'
import type { RingMessage } from './codec/index.ts'
import type { RejectReason } from './gossip-validate.ts'
import { ownersOf } from './read.ts'
import { T0, TestCluster, joinVia } from './testing-cluster.ts'
import { member, owner, ring, t } from './testing.ts'
import type { MemoryTransport } from './transport/memory.ts'

const year = 365 * 24 * 3_600_000
const rogueMember = (ts = t(T0 + 1000)) => member('rogue', 'active', 'a', ts, ts, ['/p2p/rogue'])
const delta = (spec: Parameters<typeof ring>[0]): Buffer => encodeMessage({ kind: 'delta', state: ring(spec) })

describe('gossip validators against a rogue peer with the cluster key', () => {
  let c: TestCluster
  let rogue: MemoryTransport

  beforeEach(async () => {
    c = new TestCluster(37)
    c.add('a-0', 'a', [0])
    c.add('b-0', 'b', [0], joinVia('a-0'))
    await c.start('a-0')
    await c.start('b-0')
    await c.advance(1000)
    rogue = c.network.createTransport('rogue')
    await rogue.start(new AbortController().signal)
    await rogue.dial('/memory/a-0')
  })

  afterEach(async () => {
    await rogue.stop()
    await c.close()
  })

  async function send (bytes: Uint8Array, expected: RejectReason): Promise<void> {
    const a = c.node('a-0').replica
    const before = a.stats.rejected[expected]
    await rogue.publish(bytes)
    await c.advance(100)
    assert.equal(a.stats.rejected[expected], before + 1, `not rejected as ${expected}`)
  }

  it('rejects and counts each forgery by reason, and the ring is unchanged', async () => {
    const now = t(c.clock.now())
    const a = c.node('a-0').replica
    await send(delta({ owners: [owner('a-0', 0, 'deleted', 'a', now, 'rogue')], members: [rogueMember()] }), 'foreign_owner')
    await send(delta({ owners: [owner('a-0', 0, 'deleted', 'a', now)] }), 'impersonation')
    await send(delta({ members: [rogueMember(t(c.clock.now() + year))] }), 'clock_skew')
    await send(delta({ owners: [owner('rogue', 0, 'active', 'a', now)] }), 'unbound_sender')
    await send(delta({ owners: [owner('rogue', 0, 'active', 'a', now)], members: [member('b-0', 'active', 'b', now, now, ['/p2p/rogue'])] }), 'foreign_writer')
    await send(encodeMessage({ kind: 'full', state: ring({ members: [rogueMember()] }) }), 'wrong_kind')
    await send(Buffer.from([1, 1, 0, 0, 0, 9, 0xff]), 'malformed')
    await send(Buffer.from([9, 1, 0, 0, 0, 0]), 'unknown_version')
    await send(Buffer.alloc(300 * 1024, 1), 'oversized')
    await send(delta({ members: [rogueMember(), member('rogue2', 'active', 'a', now)] }), 'oversized')

    assert.deepEqual(ownersOf(a.ring, 0).map((o) => o.ownerId), ['a-0', 'b-0'])
    assert.equal(a.ring.members.has('rogue'), false)
    // The same verdicts through the transport's validator hook (what libp2p scores).
    assert.equal(a.validate('rogue', delta({ owners: [owner('a-0', 0, 'deleted', 'a', now)] })), 'reject')
    assert.equal(a.validate('rogue', delta({ members: [rogueMember(t(c.clock.now() + year))] })), 'reject')
    assert.equal(a.validate('rogue', delta({ members: [rogueMember(now)] })), 'accept')
    assert.equal(a.stats.rejected.impersonation, 2)
    assert.equal(a.stats.rejected.clock_skew, 2)
  })

  it('accepts a member that writes only its own entries', async () => {
    await rogue.publish(delta({ members: [rogueMember(t(c.clock.now()))], owners: [owner('rogue', 0, 'active', 'a', t(c.clock.now()))] }))
    await c.advance(100)
    const a = c.node('a-0').replica
    assert.equal(a.stats.rejectedTotal, 0)
    assert.deepEqual(ownersOf(a.ring, 0).map((o) => o.ownerId), ['a-0', 'b-0', 'rogue'])
  })

  it('rejects forged full states on push and on pull', async () => {
    const a = c.node('a-0').replica
    const forged: RingMessage = { kind: 'full', state: ring({ owners: [owner('b-0', 0, 'deleted', 'b', t(c.clock.now()), 'rogue')] }) }
    await assert.rejects(rogue.request('a-0', encodeMessage(forged)), /foreign_owner/)
    rogue.handleRequest(async () => encodeMessage({ kind: 'full', state: ring({ members: [rogueMember(t(c.clock.now() + year))] }) }))
    assert.equal(await a.pull('rogue'), false)
    assert.equal(a.stats.rejected.foreign_owner, 1)
    assert.equal(a.stats.rejected.clock_skew, 1)
    assert.deepEqual(ownersOf(a.ring, 0).map((o) => o.ownerId), ['a-0', 'b-0'])
  })
})
