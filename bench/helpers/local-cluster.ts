import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import type { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { httpRequest, sleep } from './http.ts'

/**
 * `livestore cluster --json` as a child process of a benchmark (README "Local multi-zone
 * cluster"): one line per ready node, every node and the broker its own process. Cleanup is
 * bounded and thorough: SIGTERM to the command (it stops nodes, then the broker), then SIGKILL to
 * the command, to every process it started (nodes are in their own process groups, so killing
 * the command alone would leave them) and to nodes the benchmark restarted; the data dir goes.
 */
export interface ClusterNode {
  node: string
  zone: string
  pid: number
  /** The address it listens on: 127.0.0.1, or its zone's namespace address with `netns`. */
  host: string
  http: number
  otlp: number
  /** With `netns`: the node's network namespace and the host-side veth that cuts its zone off. */
  netns?: string
  veth?: string
}

/** `http://<host>:<http port>`: where a node's API answers. */
export function apiBase (node: ClusterNode): string {
  return `http://${node.host}:${node.http}`
}

export interface LocalCluster {
  readonly dir: string
  readonly nodes: ClusterNode[]
  /** The end of the command's stderr (for error messages). */
  stderr (): string
  /** Restarts a node from the command line it ran with (read before it was killed). */
  restart (node: ClusterNode, argv: string[]): ChildProcess
  stop (): Promise<void>
}

export interface ClusterOptions {
  zones: number
  nodesPerZone: number
  partitions: number
  /** `--section.key value` words passed to every node. */
  extra?: string[]
  readyTimeoutMs?: number
  /** Leave the data directory (and the nodes' logs in it) in place at stop, for a post-mortem. */
  keepDir?: boolean
  /** Each zone in its own network namespace (`livestore cluster --netns`: root, iproute2). */
  netns?: boolean
}

const repoRoot = new URL('../../', import.meta.url).pathname

/** The direct children of a process (Linux /proc). */
async function childrenOf (pid: number): Promise<number[]> {
  const out: number[] = []
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')
    out.push(...text.split(' ').filter((s) => s !== '').map(Number))
  }
  return out
}

export function killQuietly (pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try { process.kill(pid, signal) } catch { /* already gone */ }
}

/** The command line of a running process (Linux /proc), to restart it the same way. */
export function commandLineOf (pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
}

export async function startLocalCluster (o: ClusterOptions): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'livestore-bench-cluster-'))
  const readyTimeoutMs = o.readyTimeoutMs ?? 180_000
  const want = o.zones * o.nodesPerZone
  const cmd = spawn(process.execPath, [join(repoRoot, 'bin/livestore.js'), 'cluster', '--zones', String(o.zones), '--nodes-per-zone', String(o.nodesPerZone),
    '--partitions', String(o.partitions), '--json', '--data-dir', dir, '--ready-timeout', `${Math.ceil(readyTimeoutMs / 1000)}s`, ...(o.netns === true ? ['--netns'] : []), ...(o.extra ?? [])],
  { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot })
  let stderr = ''
  cmd.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-8000) })
  const exited = new Promise<void>((resolve) => { if (cmd.exitCode !== null) resolve(); else cmd.once('exit', () => resolve()) })
  const nodes: ClusterNode[] = []
  const restarted: ChildProcess[] = []
  /** Every pid the command started, collected while it runs (the broker's is printed nowhere). */
  const started = new Set<number>()
  const collect = async (): Promise<void> => { if (cmd.pid !== undefined && cmd.exitCode === null) for (const p of await childrenOf(cmd.pid)) started.add(p) }
  const collector = setInterval(() => { void collect() }, 500)
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    clearInterval(collector)
    await collect()
    for (const c of restarted) if (c.pid !== undefined) killQuietly(c.pid)
    cmd.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, 45_000) })])
    clearTimeout(timer)
    cmd.kill('SIGKILL')
    for (const pid of [...started, ...nodes.map((n) => n.pid)]) killQuietly(pid)
    if (o.keepDir !== true) await rm(dir, { recursive: true, force: true })
  }
  try {
    const lines = createInterface({ input: cmd.stdout })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cluster not ready in ${readyTimeoutMs} ms: ${stderr}`)), readyTimeoutMs + 10_000)
      void exited.then(() => { clearTimeout(timer); reject(new Error(`livestore cluster exited (${cmd.exitCode ?? cmd.signalCode}): ${stderr}`)) })
      lines.on('line', (line) => {
        nodes.push(JSON.parse(line) as ClusterNode)
        if (nodes.length === want) { clearTimeout(timer); resolve() }
      })
    })
    await collect()
  } catch (err) {
    await stop()
    throw err
  }
  return {
    dir,
    nodes,
    stderr: () => stderr,
    restart (node, argv) {
      // /proc shows the node's own command line: `ip netns exec` had exec'd into it.
      const [exe, ...args] = node.netns === undefined ? argv : ['ip', 'netns', 'exec', node.netns, ...argv]
      const child = spawn(exe as string, args, { stdio: 'ignore', cwd: repoRoot })
      restarted.push(child)
      node.pid = child.pid as number
      return child
    },
    stop,
  }
}

/** The parts of `GET /api/ring` (node/ring-http.ts RingStatus) the benchmarks read. */
export interface RingView {
  node: { id: string }
  partitions: { id: number, state: string, owners: { nodeId: string, zone: string, healthy: boolean, heartbeatAgeMs: number | null }[] }[]
  members: { nodeId: string, healthy: boolean, connected: boolean, heartbeatAgeMs: number, self: boolean }[]
}

export async function ringOf (node: ClusterNode, agent: Agent, timeoutMs = 5_000): Promise<RingView> {
  const res = await httpRequest(`${apiBase(node)}/api/ring`, { agent, timeoutMs })
  if (res.status !== 200) throw new Error(`${node.node} /api/ring answered ${res.status}`)
  return JSON.parse(res.body.toString('utf8')) as RingView
}

/**
 * Waits until every node's view has `partitions` partitions, all active, every owner and member
 * healthy; false after `timeoutMs`.
 */
export async function waitHealthy (nodes: readonly ClusterNode[], partitions: number, agent: Agent, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const views = await Promise.all(nodes.map((n) => ringOf(n, agent).catch(() => undefined)))
    const ok = views.every((v) => v !== undefined && v.partitions.length === partitions && v.partitions.every((p) => p.state === 'active' && p.owners.every((o) => o.healthy)) &&
      v.members.length === nodes.length && v.members.every((m) => m.healthy))
    if (ok) return true
    await sleep(200)
  }
  return false
}
