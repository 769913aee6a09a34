import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toJson } from './report.ts'
import { runScenario } from './run.ts'
import { messageLossScenario } from './scenarios/message-loss.ts'
import { restartChurnScenario } from './scenarios/restart-churn.ts'

describe('determinism', () => {
  it('two runs of one seed produce the same timeline, byte for byte (loss, duplication, reordering on)', async () => {
    const a = await runScenario(messageLossScenario, { seed: 42, nodes: 8 })
    const b = await runScenario(messageLossScenario, { seed: 42, nodes: 8 })
    assert.ok(a.result.timeline.length > 100)
    assert.equal(toJson(a.result), toJson(b.result))
  })

  it('a different seed gives a different run', async () => {
    const a = await runScenario(restartChurnScenario, { seed: 1, nodes: 8 })
    const b = await runScenario(restartChurnScenario, { seed: 2, nodes: 8 })
    assert.notEqual(toJson(a.result), toJson(b.result))
    assert.equal(toJson(a.result), toJson((await runScenario(restartChurnScenario, { seed: 1, nodes: 8 })).result))
  })
})
