import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const repoRoot = new URL('../../', import.meta.url).pathname

/** One JSON log line of the node, with when this process read it (performance.now()). */
export interface LogLine { at: number, rec: Record<string, unknown> }

export interface NodeChild {
  child: ChildProcess
  pid: number
  api: string
  otlp: string
  brokerPort: number
  /** performance.now() just before the spawn. */
  spawnedAt: number
  /** Every JSON log line so far (bounded: the first `maxLogLines`). */
  logs: LogLine[]
  /** Resolves with the first log line (past or future) whose msg is `msg`, or rejects after `timeoutMs`. */
  waitLog: (msg: string, timeoutMs: number) => Promise<LogLine>
  exited: Promise<number | null>
  /** SIGTERM (a graceful stop, so --cpu-prof files get written), then SIGKILL after `graceMs`. */
  stop: (graceMs?: number) => Promise<number | null>
  /** SIGKILL at once (nothing flushed; used when the node's shutdown work is not measured). */
  kill: () => Promise<number | null>
}

export interface NodeChildOptions {
  /** Extra `livestore start` words (key flags). */
  args?: string[]
  /** Node.js options for the node process (e.g. --max-old-space-size, --cpu-prof). */
  nodeOptions?: string[]
  startTimeoutMs?: number
  maxLogLines?: number
}

/**
 * Runs `node bin/livestore.js start` as a child process on ephemeral loopback ports (like
 * test/helpers/node-process.ts) and keeps its JSON log lines with their arrival times, so a
 * benchmark can time events the node logs (blocks loaded, partitions consumed, caught up).
 */
export async function startNodeChild (dataDir: string, opts: NodeChildOptions = {}): Promise<NodeChild> {
  const spawnedAt = performance.now()
  const child = spawn(process.execPath, [...(opts.nodeOptions ?? []), join(repoRoot, 'bin/livestore.js'), 'start', '--data-dir', dataDir,
    '--http-port', '0', '--otlp-http-port', '0', '--embedded-kafka-port', '0',
    '--server.http_listen_address', '127.0.0.1', '--distributor.otlp_http_listen_address', '127.0.0.1', ...(opts.args ?? [])],
  { stdio: ['ignore', 'ignore', 'pipe'], cwd: repoRoot })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const maxLines = opts.maxLogLines ?? 20_000
  const logs: LogLine[] = []
  const raw: string[] = []
  const waiters: { msg: string, resolve: (l: LogLine) => void }[] = []
  const seen: { api?: number, otlp?: number, broker?: number } = {}
  let started = (): void => undefined
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    let rec: Record<string, unknown>
    try { rec = JSON.parse(line) as Record<string, unknown> } catch { if (raw.length < 200) raw.push(line); return }
    const entry = { at: performance.now(), rec }
    const port = (rec.address as { port?: number } | undefined)?.port
    if (rec.msg === 'broker listening') seen.broker = rec.port as number
    if (rec.msg === 'http server listening' && rec.service === 'query-api') seen.api = port
    if (rec.msg === 'http server listening' && rec.service === 'otlp-http') seen.otlp = port
    started()
    if (logs.length < maxLines) logs.push(entry)
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!
      if (w.msg === rec.msg) { waiters.splice(i, 1); w.resolve(entry) }
    }
  })
  const waitLog = (msg: string, timeoutMs: number): Promise<LogLine> => {
    const past = logs.find((l) => l.rec.msg === msg)
    if (past !== undefined) return Promise.resolve(past)
    return new Promise((resolve, reject) => {
      const w = { msg, resolve: (l: LogLine) => { clearTimeout(timer); resolve(l) } }
      const timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`node did not log "${msg}" within ${timeoutMs} ms`)) }, timeoutMs)
      waiters.push(w)
    })
  }
  const describe = (): string => [...raw, ...logs.slice(-40).map((l) => JSON.stringify(l.rec))].join('\n')
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`node did not start:\n${describe()}`)) }, opts.startTimeoutMs ?? 60_000)
    started = () => {
      if (seen.api === undefined || seen.otlp === undefined || seen.broker === undefined) return
      clearTimeout(timer)
      resolve()
    }
    started()
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`node exited with ${code}:\n${describe()}`)) })
  })
  const kill = async (): Promise<number | null> => { child.kill('SIGKILL'); return await exited }
  return {
    child,
    pid: child.pid as number,
    api: `http://127.0.0.1:${seen.api}`,
    otlp: `http://127.0.0.1:${seen.otlp}`,
    brokerPort: seen.broker as number,
    spawnedAt,
    logs,
    waitLog,
    exited,
    stop: async (graceMs = 60_000) => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    kill,
  }
}

/** CPU seconds (user + system, all threads) a process has used so far (Linux /proc). */
export async function cpuSeconds (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // After the command name: state is field 3, so utime (14) and stime (15) sit at indices 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Current and peak resident set size of a process, in bytes (Linux /proc). */
export async function rssBytes (pid: number): Promise<{ rss: number, peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

/** CPU seconds used so far by each thread of a process, by thread id (Linux /proc). */
export async function threadCpuSeconds (pid: number): Promise<Map<number, number>> {
  const { readdir } = await import('node:fs/promises')
  const out = new Map<number, number>()
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100)
    } catch { /* the thread ended */ }
  }
  return out
}

/**
 * Cores each thread used between two threadCpuSeconds samples, threads using ≥ 0.02 cores, in
 * thread-creation order (the main thread first; then libuv and V8 helper threads, then worker
 * threads in the order they started).
 */
export function threadCores (before: Map<number, number>, after: Map<number, number>, seconds: number): { tid: number, cores: number }[] {
  return [...after].map(([tid, s]) => ({ tid, cores: Math.round((s - (before.get(tid) ?? 0)) / seconds * 100) / 100 }))
    .filter((t) => t.cores >= 0.02).sort((a, b) => a.tid - b.tid)
}
