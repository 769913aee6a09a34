import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { encodeMessage } from './codec/index.ts'
import { antiEntropyInterval } from './gossip-peers.ts'
import { checkDelta, checkFullState, decodeChecked, peerIdOf } from './gossip-validate.ts'
import { defaultDeltaLimits } from './gossip.ts'
import { member, owner, partition, reg, ring, t } from './testing.ts'

const ctx = { now: 10_000, heartbeatTimeoutMs: 3000 }
const alive = (id: string, peer: string, beat = 9000) => member(id, 'active', 'a', t(1000), t(beat), [`/memory/${peer}`, `/p2p/${peer}`])

describe('gossip validators', () => {
  it('finds the peer id in a member\'s addresses', () => {
    assert.equal(peerIdOf(['/ip4/10.0.0.1/tcp/7946/p2p/12D3KooA', '/p2p/other']), '12D3KooA')
    assert.equal(peerIdOf(['/memory/x']), undefined)
  })

  it('classifies undecodable messages', () => {
    const reason = (bytes: Uint8Array): string => {
      try { decodeChecked(bytes, defaultDeltaLimits, 'delta'); return 'accepted' } catch (err) { return (err as { reason: string }).reason }
    }
    assert.equal(reason(new Uint8Array()), 'malformed')
    assert.equal(reason(Buffer.from([0, 1])), 'unknown_version')
    assert.equal(reason(Buffer.from([1, 1, 0])), 'malformed')
    assert.equal(reason(encodeMessage({ kind: 'full', state: ring() })), 'wrong_kind')
    assert.equal(reason(encodeMessage({ kind: 'delta', state: ring() })), 'accepted')
  })

  it('accepts a promotion whose lock register another node wrote', () => {
    const local = ring({ members: [alive('b', 'pb')], owners: [owner('b', 0, 'active', 'b', t(1000))] })
    const promoted = ring({ partitions: [partition(0, 'active', t(5000), 'b', reg(false, t(1000), 'a'))], members: [alive('b', 'pb')] })
    assert.equal(checkDelta(local, promoted, 'pb', ctx), undefined)
    assert.equal(checkDelta(local, promoted, 'pa', ctx)?.reason, 'impersonation')
    const neither = ring({ partitions: [partition(0, 'active', t(5000), 'c', reg(false, t(1000), 'a'))], members: [alive('b', 'pb')] })
    assert.equal(checkDelta(local, neither, 'pb', ctx)?.reason, 'foreign_writer')
    const notOwner = checkDelta(ring({ members: [alive('b', 'pb')] }), promoted, 'pb', ctx)
    assert.deepEqual([notOwner?.reason, notOwner?.verdict], ['unauthorized_partition', 'ignore'])
  })

  it('lets a node that restarted with a new peer id rebind once its old heartbeat expired', () => {
    const rebind = ring({ members: [alive('a', 'new', 9500)] })
    assert.equal(checkDelta(ring({ members: [alive('a', 'old', 9000)] }), rebind, 'new', ctx)?.reason, 'impersonation')
    assert.equal(checkDelta(ring({ members: [alive('a', 'old', 5000)] }), rebind, 'new', ctx), undefined)
    assert.equal(checkDelta(ring({ members: [alive('a', 'old', 5000)] }), ring({ owners: [owner('a', 0, 'active', 'a', t(9500))] }), 'new', ctx)?.reason, 'foreign_writer')
  })

  it('requires owner and member entries in a full state to be written by their subject', () => {
    assert.equal(checkFullState(ring({ owners: [owner('a', 0, 'active', 'a', t(1))], members: [alive('a', 'pa')] })), undefined)
    assert.equal(checkFullState(ring({ owners: [owner('a', 0, 'deleted', 'a', t(1), 'b')] }))?.reason, 'foreign_owner')
    const forged = { ...alive('a', 'pa'), heartbeat: { ts: t(2), writer: 'b' } }
    assert.equal(checkFullState(ring({ members: [forged] }))?.reason, 'foreign_member')
  })

  it('scales the anti-entropy interval above 32 members like memberlist', () => {
    assert.deepEqual([1, 32, 33, 64, 100, 1000, 10_000].map((n) => antiEntropyInterval(30, n)), [30, 30, 60, 60, 90, 180, 300])
  })
})
