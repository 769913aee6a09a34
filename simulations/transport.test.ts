import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { transportCompliance } from '../ring/transport/compliance.ts'
import type { ComplianceHarness } from '../ring/transport/compliance.ts'
import { link } from './latency.ts'
import { SimNetwork } from './network.ts'
import { derive } from './random.ts'
import { NodeClock, Scheduler } from './scheduler.ts'
import { SimTransport } from './transport.ts'

const maxMessageBytes = 2 * 1024 * 1024
const never = new AbortController().signal

function setup (count: number, overrides: Parameters<typeof link>[0] = {}): { scheduler: Scheduler, network: SimNetwork, clocks: NodeClock[], transports: SimTransport[] } {
  const scheduler = new Scheduler(1_700_000_000_000)
  const network = new SimNetwork({ scheduler, random: derive(1, 'network'), link: link(overrides) })
  const clocks = Array.from({ length: count }, () => new NodeClock(scheduler))
  const transports = clocks.map((clock, i) => new SimTransport(`n${i}`, network, clock, { maxMessageBytes }))
  return { scheduler, network, clocks, transports }
}

async function harness (count: number, connected: boolean): Promise<ComplianceHarness> {
  const { scheduler, clocks, transports } = setup(count)
  for (const t of transports) await t.start(never)
  if (connected) {
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) await scheduler.until((transports[i] as SimTransport).dial(`/sim/n${j}`))
    }
    await scheduler.run(10)
  }
  return {
    transports,
    maxMessageBytes,
    advance: (ms) => scheduler.run(ms),
    leftoverTimers: () => clocks.reduce((n, c) => n + c.pendingTimers, 0),
    cleanup: async () => { for (const t of transports) await t.stop() },
  }
}

transportCompliance({ name: 'simulated network', create: (count, { connected }) => harness(count, connected) })

describe('simulated network faults', () => {
  async function connectedPair (overrides: Parameters<typeof link>[0]): Promise<ReturnType<typeof setup> & { got: number[] }> {
    const s = setup(2, overrides)
    for (const t of s.transports) await t.start(never)
    await s.scheduler.until((s.transports[0] as SimTransport).dial('/sim/n1'))
    await s.scheduler.run(100)
    const got: number[] = []
    s.transports[1]?.onMessage((_from, m) => got.push(m[0] as number))
    return { ...s, got }
  }

  it('loses about the configured fraction of messages', async () => {
    const { scheduler, transports, got } = await connectedPair({ loss: 0.3 })
    for (let i = 0; i < 1000; i++) await transports[0]?.publish(Uint8Array.of(i % 256))
    await scheduler.run(100)
    assert.ok(got.length > 620 && got.length < 780, `delivered ${got.length} of 1000`)
  })

  it('duplicates and reorders when asked to', async () => {
    const { scheduler, transports, got } = await connectedPair({ duplicate: 0.5, reorder: 0.5, reorderMs: 20 })
    for (let i = 0; i < 200; i++) { await transports[0]?.publish(Uint8Array.of(i)); await scheduler.run(1) }
    await scheduler.run(100)
    assert.ok(got.length > 250, `only ${got.length} deliveries for 200 messages`)
    assert.ok(got.some((v, i) => i > 0 && v < (got[i - 1] as number)), 'no message overtook an earlier one')
  })

  it('a cut between groups drops the link and what was in flight; heal brings it back', async () => {
    const { scheduler, network, transports, got } = await connectedPair({ latency: { kind: 'fixed', ms: 10 } })
    await transports[0]?.publish(Uint8Array.of(1))
    await scheduler.run(5)
    network.setGroups([['n0'], ['n1']])
    await scheduler.run(50)
    assert.deepEqual(got, [])
    assert.deepEqual(transports[0]?.peers(), [])
    network.heal()
    await scheduler.run(50)
    assert.deepEqual(transports[0]?.peers(), ['n1'])
    await transports[0]?.publish(Uint8Array.of(2))
    await scheduler.run(50)
    assert.deepEqual(got, [2])
  })

  it('a restarted node gets its links back from the peers that kept them', async () => {
    const { scheduler, network, clocks, transports } = await connectedPair({})
    await transports[1]?.stop()
    await scheduler.run(50)
    assert.deepEqual(transports[0]?.peers(), [])
    const again = new SimTransport('n1', network, clocks[1] as NodeClock)
    await again.start(never)
    await scheduler.run(50)
    assert.deepEqual(transports[0]?.peers(), ['n1'])
    assert.deepEqual(again.peers(), ['n0'])
  })
})
