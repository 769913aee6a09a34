import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { encodeTracesProto } from '../../common/otlp/index.ts'
import { span, traces } from '../../common/otlp/testing/model-fixture.ts'
import { tempDir } from '../helpers/broker.ts'
import { eventually, startNode } from '../helpers/node.ts'

/**
 * A restarted node (same data directory, so the same embedded broker log) replays the lookback
 * window from Kafka: traces acknowledged before the restart are served again after it.
 */
describe('node restart', () => {
  const dir = tempDir('livestore-restart-')
  after(() => dir.remove())

  it('serves traces acknowledged before the restart', async () => {
    const s = span({ traceId: Buffer.from('0badc0de0badc0de0badc0de0badc0de', 'hex') })
    const first = await startNode({}, dir.path)
    try {
      const res = await fetch(`${first.otlp}/v1/traces`, { method: 'POST', body: encodeTracesProto(traces([s])), headers: { 'content-type': 'application/x-protobuf' } })
      assert.equal(res.status, 200)
      await eventually(async () => (await fetch(`${first.api}/api/traces/${s.traceId.toString('hex')}`)).status === 200 ? true : null)
    } finally { await first.stop() }

    const second = await startNode({}, dir.path)
    try {
      const got = await eventually(async () => {
        const r = await fetch(`${second.api}/api/v2/traces/${s.traceId.toString('hex')}`)
        const body = await r.json() as { trace: { resourceSpans?: { scopeSpans: { spans: { name: string }[] }[] }[] } }
        return body.trace.resourceSpans === undefined ? null : body
      }, 15_000, 'the trace after the restart')
      // Replayed once, not doubled.
      assert.deepEqual(got.trace.resourceSpans?.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((x) => x.name))), [s.name])
    } finally { await second.stop() }
  })
})
