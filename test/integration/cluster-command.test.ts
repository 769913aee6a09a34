import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, describe, it } from 'node:test'
import { repoRoot, tempDir, waitFor } from '../helpers/broker.ts'

const bin = join(repoRoot, 'bin/livestore.js')

interface ReadyLine { node: string, zone: string, pid: number, host: string, http: number, otlp: number }

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The direct children of `pid` that run `livestore` (Linux /proc; tsx's esbuild service is one too). */
function livestoreChildrenOf (pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`)
    .flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter((s) => s !== '').map(Number))
    .filter((child) => { try { return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').some((a) => a.endsWith('bin/livestore.js')) } catch { return false } })
}

/** The end of every log in the cluster's data dir, for a failure message. */
function logs (dir: string): string {
  return readdirSync(dir).filter((n) => n.endsWith('.log')).map((n) => `--- ${n}\n${readFileSync(join(dir, n), 'utf8').split('\n').slice(-30).join('\n')}`).join('\n')
}

describe('livestore cluster (real processes)', () => {
  const dir = tempDir('livestore-cluster-it-')
  after(() => dir.remove())

  it('starts 2 zones of 1 node, prints one JSON line per ready node, and stops every child on SIGTERM', { timeout: 240_000 }, async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVESTORE_TEST_')))
    const cluster = spawn(process.execPath, [bin, 'cluster', '--zones', '2', '--nodes-per-zone', '1', '--partitions', '2', '--json', '--data-dir', dir.path], { stdio: ['ignore', 'pipe', 'pipe'], env })
    const exited = new Promise<number | null>((resolve) => cluster.once('exit', (code) => resolve(code)))
    let stderr = ''
    cluster.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const stdout: string[] = []
    createInterface({ input: cluster.stdout }).on('line', (l) => stdout.push(l))
    let children: number[] = []
    try {
      await waitFor(() => stdout.length >= 2, 180_000, 'two ready nodes').catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr}\nlogs:\n${logs(dir.path)}`)
      })
      const ready = stdout.map((l) => JSON.parse(l) as ReadyLine)
      assert.deepEqual(ready.map((r) => r.node).sort(), ['a-0', 'b-0'])
      for (const r of ready) {
        assert.deepEqual(Object.keys(r), ['node', 'zone', 'pid', 'host', 'http', 'otlp'])
        assert.equal(r.host, '127.0.0.1')
        assert.equal(r.zone, r.node.slice(0, 1))
        assert.ok(alive(r.pid), `${r.node} runs`)
        assert.equal((await fetch(`http://127.0.0.1:${r.http}/ready`)).status, 200)
      }
      children = livestoreChildrenOf(cluster.pid as number)
      assert.equal(children.length, 3, 'the broker and two nodes')
      for (const r of ready) assert.ok(children.includes(r.pid), `${r.node}'s pid is the cluster's child`)

      cluster.kill('SIGTERM')
      assert.equal(await exited, 0, stderr)
      assert.deepEqual(stdout.length, 2, 'nothing but the JSON lines on stdout')
      for (const pid of children) assert.equal(alive(pid), false, `child ${pid} is gone`)
    } finally {
      cluster.kill('SIGKILL')
      for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
  })
})
