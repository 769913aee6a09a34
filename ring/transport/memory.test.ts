import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { ManualClock } from '../../test/fakes/clock.ts'
import { transportCompliance } from './compliance.ts'
import type { ComplianceHarness } from './compliance.ts'
import { PeerUnavailableError } from './errors.ts'
import { MemoryNetwork } from './memory.ts'
import type { MemoryTransport, MemoryTransportOptions } from './memory.ts'
import type { PeerEvent } from './types.ts'

const maxMessageBytes = 2 * 1024 * 1024
const never = new AbortController().signal

async function advance (clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms)
  await tick()
}

async function harness (latencyMs: number, count: number, connected: boolean): Promise<ComplianceHarness> {
  const clock = new ManualClock()
  const network = new MemoryNetwork({ clock, latencyMs })
  const transports = Array.from({ length: count }, (_, i) => network.createTransport(`n${i}`, { maxMessageBytes }))
  for (const t of transports) await t.start(never)
  if (connected) {
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const dialed = (transports[i] as MemoryTransport).dial(`/memory/n${j}`)
        await advance(clock, latencyMs)
        await dialed
      }
    }
  }
  return {
    transports,
    maxMessageBytes,
    advance: (ms) => advance(clock, ms),
    leftoverTimers: () => clock.pendingTimers,
    cleanup: async () => { for (const t of transports) await t.stop() },
  }
}

transportCompliance({ name: 'memory, no latency', create: (n, o) => harness(0, n, o.connected) })
transportCompliance({ name: 'memory, 5 ms latency', create: (n, o) => harness(5, n, o.connected) })

describe('MemoryNetwork', () => {
  function setup (latencyMs = 0, ids = ['a', 'b', 'c'], options: MemoryTransportOptions = {}): { clock: ManualClock, network: MemoryNetwork, t: Record<string, MemoryTransport>, events: Record<string, PeerEvent[]>, got: Record<string, string[]> } {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock, latencyMs })
    const t: Record<string, MemoryTransport> = {}
    const events: Record<string, PeerEvent[]> = {}
    const got: Record<string, string[]> = {}
    for (const id of ids) {
      const tr = network.createTransport(id, options)
      t[id] = tr
      events[id] = []
      got[id] = []
      tr.onPeer((e) => events[id]?.push(e))
      tr.onMessage((from, m) => got[id]?.push(`${from}:${new TextDecoder().decode(m)}`))
    }
    return { clock, network, t, events, got }
  }
  const get = <T>(r: Record<string, T>, k: string): T => { const v = r[k]; assert.ok(v !== undefined); return v }

  it('partition cuts a link both ways with down events; heal brings it back with up events', async () => {
    const { clock, network, t, events, got } = setup()
    for (const tr of Object.values(t)) await tr.start(never)
    await get(t, 'a').dial('/memory/b')
    await get(t, 'a').dial('/memory/c')
    await advance(clock, 0)
    network.partition('a', 'b')
    await advance(clock, 0)
    assert.deepEqual(get(events, 'a').slice(-1), [{ peer: 'b', type: 'down' }])
    assert.deepEqual(get(events, 'b'), [{ peer: 'a', type: 'up' }, { peer: 'a', type: 'down' }])
    await get(t, 'a').publish(new TextEncoder().encode('x'))
    await advance(clock, 0)
    assert.deepEqual(get(got, 'b'), [])
    assert.deepEqual(get(got, 'c'), ['a:x'])
    await assert.rejects(get(t, 'a').request('b', new Uint8Array(1)), PeerUnavailableError)
    await assert.rejects(get(t, 'b').dial('/memory/a'), PeerUnavailableError)

    network.heal()
    await advance(clock, 0)
    assert.deepEqual(get(events, 'b').slice(-1), [{ peer: 'a', type: 'up' }])
    assert.deepEqual(get(t, 'a').peers().sort(), ['b', 'c'])
  })

  it('delivers after the latency on the injected clock, and loses what is in flight when a link drops', async () => {
    const { clock, network, t, got } = setup(100)
    for (const tr of Object.values(t)) await tr.start(never)
    const dialB = get(t, 'a').dial('/memory/b')
    const dialC = get(t, 'a').dial('/memory/c')
    await advance(clock, 100)
    await Promise.all([dialB, dialC])
    await get(t, 'a').publish(new TextEncoder().encode('slow'))
    await advance(clock, 99)
    assert.deepEqual(get(got, 'b'), [])
    network.partition('a', 'c')
    await advance(clock, 1)
    assert.deepEqual(get(got, 'b'), ['a:slow'])
    assert.deepEqual(get(got, 'c'), [], 'in flight when the link dropped: lost')

    network.setLatency(10)
    network.heal()
    await advance(clock, 10)
    await get(t, 'a').publish(new TextEncoder().encode('fast'))
    await advance(clock, 10)
    assert.deepEqual(get(got, 'c'), ['a:fast'])
  })

  it('a restarted node (same id) is linked back by the peers that knew it', async () => {
    const { clock, network, t, events } = setup(0, ['a', 'b'])
    for (const tr of Object.values(t)) await tr.start(never)
    await get(t, 'a').dial('/memory/b')
    await get(t, 'b').stop()
    await advance(clock, 0)
    assert.deepEqual(get(events, 'a'), [{ peer: 'b', type: 'up' }, { peer: 'b', type: 'down' }])
    assert.throws(() => network.createTransport('a'), /running/)

    const b2 = network.createTransport('b')
    const b2events: PeerEvent[] = []
    b2.onPeer((e) => b2events.push(e))
    await b2.start(never)
    await advance(clock, 0)
    assert.deepEqual(get(events, 'a').slice(-1), [{ peer: 'b', type: 'up' }])
    assert.deepEqual(b2events, [{ peer: 'a', type: 'up' }])
    b2.handleRequest(async () => new TextEncoder().encode('back'))
    assert.equal(new TextDecoder().decode(await get(t, 'a').request('b', new Uint8Array(1))), 'back')
  })

  it('forget drops a link only once neither side keeps it; isolate cuts a node from all', async () => {
    const { clock, network, t, events } = setup()
    for (const tr of Object.values(t)) await tr.start(never)
    await get(t, 'a').dial('/memory/b')
    await get(t, 'a').dial('/memory/c')
    get(t, 'a').forget('b')
    await advance(clock, 0)
    assert.deepEqual(get(t, 'a').peers().sort(), ['b', 'c'], 'b still keeps its link to a')
    get(t, 'b').forget('a')
    await advance(clock, 0)
    assert.deepEqual(get(t, 'a').peers(), ['c'])
    network.isolate('c')
    await advance(clock, 0)
    assert.deepEqual(get(t, 'a').peers(), [])
    assert.deepEqual(get(events, 'c'), [{ peer: 'a', type: 'up' }, { peer: 'a', type: 'down' }])
  })

  it('a validator that does not accept drops the message before the handlers', async () => {
    const { clock, t, got } = setup(0, ['a', 'b'], { validate: (_from, m) => m[0] === 1 ? 'accept' : m[0] === 2 ? 'ignore' : 'reject' })
    for (const tr of Object.values(t)) await tr.start(never)
    await get(t, 'a').dial('/memory/b')
    for (const first of [1, 2, 3]) await get(t, 'a').publish(Uint8Array.of(first))
    await advance(clock, 0)
    assert.deepEqual(get(got, 'b'), ['a:\u0001'])
  })

  it('rejects a bad id, a foreign address and dialling itself', async () => {
    const { t, network } = setup(0, ['a'])
    assert.throws(() => network.createTransport('x/y'), /invalid/)
    await get(t, 'a').start(never)
    await assert.rejects(get(t, 'a').dial('/ip4/127.0.0.1/tcp/1'), /not a memory transport address/)
    await assert.rejects(get(t, 'a').dial('/memory/a'), /own address/)
    await assert.rejects(get(t, 'a').dial('/memory/nobody'), PeerUnavailableError)
    await get(t, 'a').stop()
  })
})
