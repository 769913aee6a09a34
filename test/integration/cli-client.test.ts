import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { repoRoot } from '../helpers/broker.ts'
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
  before(async () => { n = await startNode() })
  after(async () => { await n?.stop() })

  it('sends realistic traces, summarises, and shows one as a waterfall', async () => {
    const gen = await livestore('gen', '--url', n.otlp, '--traces', '5', '--seed', '7')
    assert.equal(gen.status, 0, gen.stderr)
    assert.match(gen.stdout, /accepted\s+\d+ spans; rejected 0; failed 0/)
    const id = /^traces\s+([0-9a-f]{32})/m.exec(gen.stdout)?.[1]
    assert.ok(id !== undefined, `a sample trace id in:\n${gen.stdout}`)

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
    const missing = await livestore('trace', '0123456789abcdef0123456789abcdef', '--url', n.api)
    assert.equal(missing.status, 1)
    assert.match(missing.stderr, /not found/)
  })
})
