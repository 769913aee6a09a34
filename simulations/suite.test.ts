/**
 * The scenario verdicts, run at a reduced size so the test stays fast: every scenario at
 * min(its default, 12) nodes, `scale` at 30 instead of 100 (`npm run sim` runs the full sizes).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verdictLine } from './report.ts'
import { runScenario } from './run.ts'
import { scenarios } from './scenarios/index.ts'

const size = (name: string, defaultNodes: number): number => name === 'scale' ? 30 : Math.min(defaultNodes, 12)

describe('scenario verdicts (reduced sizes, seed 1)', () => {
  for (const s of scenarios) {
    it(`${s.name} passes at ${size(s.name, s.defaultNodes)} nodes`, async () => {
      const { result } = await runScenario(s, { seed: 1, nodes: size(s.name, s.defaultNodes) })
      assert.equal(result.verdict, 'pass', verdictLine(result))
    })
  }
})
