/**
 * The scenario verdicts, run at a reduced size so the test stays fast: every scenario at
 * min(its default, 12) nodes, `scale` at 30 instead of 100 (`npm run sim` runs the full sizes).
 * Scenarios that fail because of a defect the simulator found in ring/ are marked `todo` with
 * the defect: they still run and report, without failing the test run, until ring/ is fixed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verdictLine } from './report.ts'
import { runScenario } from './run.ts'
import { scenarios } from './scenarios/index.ts'

export const knownRingDefects: Readonly<Record<string, string>> = {
  'rogue-peer': 'ring defect: any bound member may write any partition register (ring/gossip-validate.ts), so a keyholder can delete every active partition',
}

const size = (name: string, defaultNodes: number): number => name === 'scale' ? 30 : Math.min(defaultNodes, 12)

describe('scenario verdicts (reduced sizes, seed 1)', () => {
  for (const s of scenarios) {
    const todo = knownRingDefects[s.name]
    it(`${s.name} passes at ${size(s.name, s.defaultNodes)} nodes`, todo === undefined ? {} : { todo }, async () => {
      const { result } = await runScenario(s, { seed: 1, nodes: size(s.name, s.defaultNodes) })
      assert.equal(result.verdict, 'pass', verdictLine(result))
    })
  }
})
