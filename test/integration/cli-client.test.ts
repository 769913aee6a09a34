import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseAckLog } from '../../tools/index.ts'
import { repoRoot, tempDir } from '../helpers/broker.ts'
import { startNode } from '../helpers/node.ts'
import type { TestNode } from '../helpers/node.ts'

/** `livestore gen` and `livestore trace` as a user runs them, against a running node. */
const bin = join(repoRoot, 'bin/livestore.js')

/** Runs the CLI asynchronously (the node under test shares this process's event loop). */
function livestore (...args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      resolve({ status: code, stdout, stderr })
    })
  })
}

describe('livestore gen and livestore trace', () => {
  let n: TestNode
  const dir = tempDir('livestore-cli-client-')
  before(async () => { n = await startNode() })
  after(async () => { await n?.stop(); dir.remove() })

  it('sends realistic traces, logs what was acknowledged, summarises, and shows one as a waterfall', async () => {
    const ackLog = join(dir.path, 'acks.log')
    const gen = await livestore('gen', '--url', n.otlp, '--traces', '5', '--seed', '7', '--ack-log', ackLog)
    assert.equal(gen.status, 0, gen.stderr)
    const accepted = /accepted\s+(\d+) spans; rejected 0; failed 0/.exec(gen.stdout)?.[1]
    assert.ok(accepted !== undefined, gen.stdout)
    const id = /^traces\s+([0-9a-f]{32})/m.exec(gen.stdout)?.[1]
    assert.ok(id !== undefined, `a sample trace id in:\n${gen.stdout}`)
    const acks = parseAckLog(readFileSync(ackLog, 'utf8'))
    assert.equal(acks.bad, 0)
    assert.equal(acks.spans.length, Number(accepted))
    assert.equal(new Set(acks.spans.map((s) => s.traceId)).size, 5)
    assert.ok(acks.spans.some((s) => s.traceId === id))

    let out = ''
    for (let attempt = 0; attempt < 50 && !out.includes(`trace ${id}`); attempt++) {
      const r = await livestore('trace', id, '--url', n.api)
      out = r.stdout
      if (r.status !== 0) await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.match(out, new RegExp(`^trace ${id}\\s+\\d+ spans`, 'm'))
    assert.match(out, /frontend/)
  })

  it('answers bad arguments and unknown traces clearly', async () => {
    const bad = await livestore('gen', '--url', n.otlp, '--encoding', 'xml')
    assert.notEqual(bad.status, 0)
    assert.match(bad.stderr, /--encoding must be protobuf or json/)
    const retries = await livestore('gen', '--url', n.otlp, '--max-retries', '-1')
    assert.notEqual(retries.status, 0)
    assert.match(retries.stderr, /--max-retries must be a whole number/)
    const backoff = await livestore('gen', '--url', n.otlp, '--max-backoff', 'soon')
    assert.match(backoff.stderr, /--max-backoff must be a duration/)
    const missing = await livestore('trace', '0123456789abcdef0123456789abcdef', '--url', n.api)
    assert.equal(missing.status, 1)
    assert.match(missing.stderr, /not found/)
  })
})
