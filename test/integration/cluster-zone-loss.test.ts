import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { encodeTracesProto } from '../../common/otlp/index.ts'
import type { Span } from '../../common/otlp/model.ts'
import { span, traces } from '../../common/otlp/testing/model-fixture.ts'
import { seededRandom } from '../../common/random.ts'

/**
 * The acceptance test of zone redundancy: `livestore cluster` runs 6 nodes in 2 zones (3
 * partitions, each owned in both zones) plus the broker, all separate processes on loopback.
 * Traces sent to any node are readable from every node; with every node of zone b SIGKILLed,
 * 100% of trace-by-ID queries still succeed from zone a (read quorum 1); zone b restarts on its
 * data, catches up, and then zone a can die in turn with the same result. A search gives the
 * same traces from every node in every phase.
 */
const repoRoot = new URL('../../', import.meta.url).pathname
const TRACES = 1000
const linux = process.platform === 'linux'

interface ReadyNode { node: string, zone: string, pid: number, http: number, otlp: number }

function traceIdOf (i: number): Buffer {
  // Hash-like ids (ring routing spreads them over the partitions).
  const r = seededRandom(i + 1)
  return Buffer.from(Array.from({ length: 16 }, () => r.int(256)))
}

function spansOf (i: number): Span[] {
  const traceId = traceIdOf(i)
  return [0, 1].map((k) => span({ traceId, spanId: Buffer.from(`${(i + 1).toString(16).padStart(8, '0')}${(k + 1).toString(16).padStart(8, '0')}`, 'hex'), name: `op-${i}-${k}` }))
}

async function sendAll (nodes: readonly ReadyNode[]): Promise<void> {
  for (let start = 0, n = 0; start < TRACES; start += 50, n++) {
    const body = encodeTracesProto(traces(Array.from({ length: 50 }, (_, k) => spansOf(start + k)).flat()))
    const target = nodes[n % nodes.length]!
    const res = await fetch(`http://127.0.0.1:${target.otlp}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })
    assert.equal(res.status, 200, `push to ${target.node}: ${await res.text()}`)
  }
}

/** How many of `ids` the node returns whole (both spans, each once). */
async function readable (node: ReadyNode, ids: readonly number[]): Promise<{ ok: number, failures: string[] }> {
  let ok = 0
  const failures: string[] = []
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < ids.length) {
      const i = ids[next++]!
      const res = await fetch(`http://127.0.0.1:${node.http}/api/v2/traces/${traceIdOf(i).toString('hex')}`, { signal: AbortSignal.timeout(10_000) })
      const text = await res.text()
      const names = res.status === 200 ? [...text.matchAll(/"name":"(op-\d+-\d)"/g)].map((m) => m[1]).sort() : []
      if (res.status === 200 && names.join() === `op-${i}-0,op-${i}-1`) ok++
      else if (failures.length < 5) failures.push(`${node.node} trace ${i}: ${res.status} ${text.slice(0, 200)}`)
    }
  }))
  return { ok, failures }
}

async function eventuallyAllReadable (node: ReadyNode, ids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const r = await readable(node, ids)
    if (r.ok === ids.length) return
    if (performance.now() > deadline) assert.fail(`${node.node}: ${r.ok}/${ids.length} readable; e.g. ${r.failures.join(' | ')}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/**
 * Search from `node` for traces 10..19 (by span name): the same ten trace ids as every other
 * node, whichever zone answers (issue 6: search fans out like trace by ID, quorum 1).
 */
const SEARCH = '{ name =~ "op-1[0-9]-0" }'
const SEARCHED = Array.from({ length: 10 }, (_, k) => traceIdOf(10 + k).toString('hex').replace(/^0+/, '')).sort()

async function searchFinds (node: ReadyNode): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${node.http}/api/search?q=${encodeURIComponent(SEARCH)}&limit=100`, { signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  assert.equal(res.status, 200, `${node.node} search: ${text.slice(0, 300)}`)
  const ids = ((JSON.parse(text) as { traces?: { traceID: string }[] }).traces ?? []).map((t) => t.traceID).sort()
  assert.deepEqual(ids, SEARCHED, `${node.node} search results`)
}

async function waitReady (node: ReadyNode, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${node.http}/ready`).then((r) => r.status === 200, () => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.fail(`${node.node} not ready after ${timeoutMs} ms`)
}

/** The node's own command line (Linux /proc), to restart it on the same data dir and ports. */
function commandLineOf (pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
}

function kill (pid: number): void {
  try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
}

describe('zone loss on a 6-node, 2-zone cluster of real processes', { skip: linux ? false : 'needs /proc to restart nodes with their own command lines' }, () => {
  it('answers every trace-by-ID query with either zone dead', { timeout: 240_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'livestore-zones-'))
    const cluster = spawn(process.execPath, [join(repoRoot, 'bin/livestore.js'), 'cluster', '--zones', '2', '--nodes-per-zone', '3', '--partitions', '3', '--json', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    cluster.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000) })
    const restarted: ChildProcess[] = []
    const all: ReadyNode[] = []
    try {
      const lines = createInterface({ input: cluster.stdout })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cluster not ready in 120 s: ${stderr}`)), 120_000)
        cluster.once('exit', (code) => { clearTimeout(timer); reject(new Error(`livestore cluster exited (${code}): ${stderr}`)) })
        lines.on('line', (line) => {
          all.push(JSON.parse(line) as ReadyNode)
          if (all.length === 6) { clearTimeout(timer); resolve() }
        })
      })
      const zone = (z: string): ReadyNode[] => all.filter((n) => n.zone === z)
      const ids = Array.from({ length: TRACES }, (_, i) => i)
      const sample = (seed: number): number[] => { const r = seededRandom(seed); return Array.from({ length: 100 }, () => r.int(TRACES)) }

      // Ready nodes have registered; partitions turn active after min_partition_owners_duration.
      const deadline = performance.now() + 30_000
      for (;;) {
        const ring = await (await fetch(`http://127.0.0.1:${all[0]!.http}/api/ring`)).json() as { partitions: { state: string }[] }
        if (ring.partitions.length === 3 && ring.partitions.every((p) => p.state === 'active')) break
        assert.ok(performance.now() < deadline, `partitions not active: ${JSON.stringify(ring.partitions)}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      await sendAll(all)
      await eventuallyAllReadable(all[0]!, ids, 30_000)
      for (const [k, n] of all.entries()) await eventuallyAllReadable(n, sample(k), 15_000)
      for (const n of all) await searchFinds(n)
      t.diagnostic(`${TRACES} traces sent round-robin to 6 nodes, readable and searchable from every node`)

      // Zone b dies at once.
      const commands = new Map(zone('b').map((n) => [n.node, commandLineOf(n.pid)]))
      for (const n of zone('b')) kill(n.pid)
      for (const n of zone('a')) {
        const r = await readable(n, ids)
        const ringView = r.ok === TRACES ? '' : JSON.stringify((await (await fetch(`http://127.0.0.1:${n.http}/api/ring`)).json() as { partitions: unknown }).partitions)
        assert.equal(r.ok, TRACES, `zone b dead, asking ${n.node}: ${r.failures.slice(0, 1).join(' | ')} ring ${ringView}`)
      }
      for (const n of zone('a')) await searchFinds(n)
      t.diagnostic(`zone b killed: ${TRACES}/${TRACES} traces and the same search results from each zone-a node`)

      // Zone b comes back on its data and ports, catches up; then zone a dies.
      for (const n of zone('b')) {
        const [exe, ...args] = commands.get(n.node)!
        const child = spawn(exe!, args, { stdio: 'ignore' })
        restarted.push(child)
        n.pid = child.pid!
      }
      for (const n of zone('b')) await waitReady(n, 60_000)
      for (const n of zone('b')) await eventuallyAllReadable(n, sample(100), 30_000)
      for (const n of zone('a')) kill(n.pid)
      for (const n of zone('b')) {
        const r = await readable(n, ids)
        assert.equal(r.ok, TRACES, `zone a dead, asking ${n.node}: ${r.failures.join(' | ')}`)
      }
      for (const n of zone('b')) await searchFinds(n)
      t.diagnostic(`zone b restarted, zone a killed: ${TRACES}/${TRACES} traces and the same search results from each zone-b node`)
    } finally {
      for (const c of restarted) if (c.pid !== undefined) kill(c.pid)
      cluster.kill('SIGTERM')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { cluster.kill('SIGKILL'); resolve() }, 20_000)
        if (cluster.exitCode !== null) { clearTimeout(timer); resolve() } else cluster.once('exit', () => { clearTimeout(timer); resolve() })
      })
      for (const n of all) kill(n.pid)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
