/**
 * Each invariant can fail: a scenario that passes as it is fails once a broken rule or a fault
 * is injected (faults.ts rewrites what one replica receives; its code is untouched).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { merge } from '../ring/model.ts'
import { member, owner, partition, ring, t } from '../ring/testing.ts'
import { activeReadsAsPending, ownersAnHourOlder, rewriteIncoming, tombstonesIgnored } from './faults.ts'
import { RogueCheck } from './invariants.ts'
import type { InvariantName, Violation } from './invariants.ts'
import type { SimNode } from './node.ts'
import { runScenario } from './run.ts'
import type { RunOptions, RunResult } from './run.ts'
import type { Scenario } from './scenario.ts'
import { formCluster, formed, scenarioRing, waitFor, zonedNodes } from './scenarios/common.ts'
import { partitionHealScenario } from './scenarios/partition-heal.ts'
import { zoneLossScenario } from './scenarios/zone-loss.ts'

/** A small cluster forms; then x-a starts, and x-b 5 s later, as the owners of partition 100. */
const lateOwner: Scenario = {
  name: 'late-owner',
  title: 'A second owner joins late',
  description: 'test scenario',
  defaultNodes: 4,
  minNodes: 4,
  setup: (n) => ({
    cluster: {
      nodes: [...zonedNodes(n, 2), { id: 'x-a', zone: 'a', partitions: [100], seeds: ['a-0'] }, { id: 'x-b', zone: 'b', partitions: [100], seeds: ['a-0'] }],
      ring: scenarioRing(2),
    },
  }),
  async run (ctx) {
    await formCluster(ctx, { ids: ['a-0', 'b-0', 'a-1', 'b-1'] })
    ctx.sim.start('x-a')
    await ctx.sim.run(5_000)
    ctx.sim.start('x-b')
    await waitFor(ctx, () => formed(ctx), 20_000)
    await ctx.sim.run(2_000)
  },
}

async function run (scenario: Scenario, options: Omit<RunOptions, 'seed'> = {}): Promise<RunResult> {
  return (await runScenario(scenario, { seed: 3, ...options })).result
}

function failsOn (r: RunResult, invariant: InvariantName): void {
  assert.equal(r.verdict, 'fail', `${r.scenario} should fail on ${invariant}`)
  assert.ok(r.counts[invariant] > 0, `no ${invariant} violation: ${JSON.stringify(r.counts)}`)
}

describe('each invariant can fail', () => {
  it('the unbroken scenarios pass', async () => {
    assert.equal((await run(lateOwner)).verdict, 'pass')
    assert.equal((await run(zoneLossScenario, { nodes: 8 })).verdict, 'pass')
    assert.equal((await run(partitionHealScenario, { nodes: 6 })).verdict, 'pass')
  })

  it('convergence: a replica whose merge ignores tombstones never learns a-1 left', async () => {
    const r = await run(partitionHealScenario, { nodes: 6, prepare: (sim) => { sim.network.intercept = rewriteIncoming((to) => to === 'b-1', tombstonesIgnored) } })
    failsOn(r, 'convergence')
    assert.match(r.violations.find((v) => v.invariant === 'convergence')?.detail ?? '', /after the heal/)
  })

  it('resurrection: a replica that drops tombstones at once takes a deleted owner back on heal', async () => {
    const r = await run(partitionHealScenario, { nodes: 6, prepare: (sim) => { sim.node('a-2').ringOverrides = { tombstone_horizon: 1, departure_horizon: 1 } } })
    failsOn(r, 'resurrection')
    assert.match(r.violations.find((v) => v.invariant === 'resurrection')?.detail ?? '', /a-1/)
  })

  it('availability: replicas whose merge reads remote promotions as pending skip those partitions in queries', async () => {
    const r = await run(zoneLossScenario, { nodes: 8, prepare: (sim) => { sim.network.intercept = rewriteIncoming((to) => to.startsWith('a-'), activeReadsAsPending) } })
    failsOn(r, 'availability')
  })

  it('promotion: a replica that misreads owner stamps as an hour old promotes before the second owner settled', async () => {
    const r = await run(lateOwner, { prepare: (sim) => { sim.network.intercept = rewriteIncoming((to) => to === 'x-a', ownersAnHourOlder) } })
    failsOn(r, 'promotion')
    assert.match(r.violations.find((v) => v.invariant === 'promotion')?.detail ?? '', /partition 100/)
  })

  it('error: an exception in a ring event handler fails the run', async () => {
    const r = await run(lateOwner, { prepare: (sim) => { sim.onRingChanged((node) => { if (node.id === 'b-1' && sim.elapsed() > 3_000) throw new Error('handler bug') }) } })
    failsOn(r, 'error')
  })

  it('rogue: adopting what the lifecycle forbids is reported; the rogue\'s own entries and a pending creation are not', () => {
    const T0 = 1_700_000_000_000
    const check = new RogueCheck('rogue', 30_000)
    const prev = ring({ partitions: [partition(0, 'active', t(T0), 'a-0')], owners: [owner('a-0', 0, 'active', 'a', t(T0))] })
    const delta = ring({
      partitions: [partition(0, 'deleted', t(T0 + 10), 'rogue', prev.partitions.get(0)?.locked), partition(5, 'pending', t(T0 + 10), 'rogue')],
      owners: [owner('rogue', 5, 'active', 'a', t(T0 + 10))],
      members: [member('rogue', 'active', 'a', t(T0 + 10)), { ...member('b-0', 'left', 'b', t(T0 + 10)), info: { value: { state: 'left', zone: 'b', addresses: [] }, ts: t(T0 + 10), writer: 'rogue' } }],
    })
    const violations: Omit<Violation, 't'>[] = []
    const state = merge(prev, delta).state
    check.observe({ id: 'a-0' } as SimNode, { state, delta, source: 'remote' }, prev, T0 + 20, (v) => violations.push(v))
    assert.deepEqual(violations.map((v) => v.detail), [
      "adopted the rogue's write of b-0's member entry",
      "adopted the rogue's deletion of active partition 0 with 1 live owner(s)",
    ])
    const future = ring({ members: [member('rogue', 'active', 'a', t(T0 + 365 * 86_400_000))] })
    check.observe({ id: 'a-0' } as SimNode, { state: merge(state, future).state, delta: future, source: 'remote' }, state, T0 + 30, (v) => violations.push(v))
    assert.match(violations[2]?.detail ?? '', /beyond max_clock_skew/)
  })
})
