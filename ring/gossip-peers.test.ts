import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../test/fakes/clock.ts'
import { MemberDialer } from './gossip-peers.ts'
import { member, ring, t } from './testing.ts'
import type { GossipTransport } from './transport/types.ts'

/** The part of a transport the dialer uses: dials fail until `up`; each attempt is recorded. */
function fakeTransport (): { transport: GossipTransport, dials: string[], up: Set<string>, connected: Set<string> } {
  const dials: string[] = []
  const up = new Set<string>()
  const connected = new Set<string>()
  const transport = {
    localId: 'self-peer',
    peers: () => [...connected],
    dial: async (address: string) => {
      dials.push(address)
      const peer = address.split('/p2p/')[1] ?? ''
      if (!up.has(peer)) throw new Error('connection refused')
      connected.add(peer)
      return peer
    },
  } as unknown as GossipTransport
  return { transport, dials, up, connected }
}

const dead = member('b-0', 'active', 'b', t(1), t(1), ['/ip4/10.0.0.2/tcp/7946/p2p/peer-b'])
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('member dialer', () => {
  it('backs a dead member off (1 s, doubling), and dials at once when it shows a sign of life', async () => {
    const clock = new ManualClock()
    const f = fakeTransport()
    const dialer = new MemberDialer(f.transport, clock)
    const state = ring({ members: [dead] })
    dialer.connect(state, 'a-0')
    await settle()
    dialer.connect(state, 'a-0')
    await settle()
    assert.equal(f.dials.length, 1, 'not again within the backoff')
    clock.advance(1000)
    dialer.connect(state, 'a-0')
    await settle()
    assert.equal(f.dials.length, 2)
    clock.advance(1000)
    dialer.connect(state, 'a-0')
    await settle()
    assert.equal(f.dials.length, 2, 'the second failure doubled the delay')
    f.up.add('peer-b')
    dialer.connectMembers([dead], 'a-0')
    await settle()
    assert.deepEqual([f.dials.length, [...f.connected]], [3, ['peer-b']], 'a change of the member (a heartbeat) resets its backoff')
  })

  it('dials only the members a delta names, not the whole ring', async () => {
    const f = fakeTransport()
    const dialer = new MemberDialer(f.transport, new ManualClock())
    dialer.connectMembers([member('c-0', 'active', 'c', t(1), t(1), ['/ip4/10.0.0.3/tcp/7946/p2p/peer-c']), member('d-0', 'left', 'd', t(1), t(1), ['/ip4/10.0.0.4/tcp/7946/p2p/peer-d'])], 'a-0')
    await settle()
    assert.deepEqual(f.dials, ['/ip4/10.0.0.3/tcp/7946/p2p/peer-c'])
  })
})
