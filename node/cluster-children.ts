/**
 * Child processes of `livestore cluster`: spawning `livestore …` with its output in a log file,
 * waiting until a child listens or is ready (bounded, failing at once if it dies), and stopping a
 * group of children (SIGTERM, bounded wait, SIGKILL for leftovers).
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Clock } from '../common/clock.ts'

export interface ExitInfo { code: number | null, signal: NodeJS.Signals | null }

/** One child process, as the cluster command sees it. */
export interface Child {
  readonly name: string
  readonly pid: number
  /** Its output (stdout and stderr). */
  readonly log: string
  /** Resolves once it has exited. */
  readonly exited: Promise<ExitInfo>
  /** How it exited; undefined while it runs. */
  readonly exit: ExitInfo | undefined
  kill (signal: NodeJS.Signals): void
}

/**
 * Starts `livestore <args>`, inside `wrap` when given (e.g. `ip netns exec <ns>`, which execs
 * into node, so the pid is still the node's); injected so tests can run fake children.
 */
export type SpawnLivestore = (name: string, args: readonly string[], log: string, wrap?: readonly string[]) => Child

const bin = fileURLToPath(new URL('../bin/livestore.js', import.meta.url))

/**
 * `node bin/livestore.js <args>`, so the pid is the node itself (bin/livestore.js loads tsx in
 * process). stdout and stderr are appended to `log`. The child gets its own process group: a
 * Ctrl-C in the terminal reaches only the cluster command, which then stops the children in
 * order (a node takes a second signal as "exit now").
 */
export const spawnLivestore: SpawnLivestore = (name, args, log, wrap = []) => {
  const fd = openSync(log, 'a', 0o600)
  let proc
  try {
    const [exe, ...argv] = [...wrap, process.execPath, bin, ...args] as [string, ...string[]]
    proc = spawn(exe, argv, { stdio: ['ignore', fd, fd], detached: true })
  } finally {
    closeSync(fd)
  }
  let exit: ExitInfo | undefined
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('exit', (code, signal) => { exit = { code, signal }; resolve(exit) })
    proc.once('error', () => { exit = { code: null, signal: null }; resolve(exit) })
  })
  return {
    name,
    pid: proc.pid ?? -1,
    log,
    exited,
    get exit () { return exit },
    kill: (signal) => { if (exit === undefined) proc.kill(signal) },
  }
}

/** "exited with code 1" / "was killed by SIGKILL". */
export function describeExit (e: ExitInfo): string {
  return e.signal !== null ? `was killed by ${e.signal}` : `exited with code ${e.code ?? 'unknown'}`
}

/** The last `lines` lines of a log file ('' if unreadable). */
export async function logTail (path: string, lines = 20): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.split('\n').filter((l) => l !== '').slice(-lines).join('\n')
}

export interface WaitOptions {
  clock: Clock
  signal: AbortSignal
  /** Give up after this long. */
  timeoutMs: number
  /** Between attempts. */
  intervalMs?: number
}

/**
 * Polls `probe` until it returns true. Rejects when `child` exits first, when the time is up
 * (both with the end of the child's log), or with the signal's reason when it aborts.
 */
export async function waitUntil (child: Child, what: string, probe: () => Promise<boolean>, o: WaitOptions): Promise<void> {
  const deadline = o.clock.now() + o.timeoutMs
  for (;;) {
    o.signal.throwIfAborted()
    if (child.exit !== undefined) throw new Error(`${child.name} (pid ${child.pid}) ${describeExit(child.exit)} before ${what}; its log ${child.log} ends with:\n${await logTail(child.log)}`)
    if (await probe()) return
    if (o.clock.now() >= deadline) throw new Error(`${child.name} (pid ${child.pid}) was not ${what} after ${o.timeoutMs / 1000}s; its log ${child.log} ends with:\n${await logTail(child.log)}`)
    await Promise.race([o.clock.sleep(o.intervalMs ?? 200, o.signal), child.exited])
  }
}

/** True if something accepts TCP connections on 127.0.0.1:`port`. */
export async function isListening (port: number, host = '127.0.0.1'): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { socket.destroy(); resolve(false) })
  })
}

/** True if `GET <url>` answers 200 within a second. */
export async function answers200 (url: string, fetchFn: typeof fetch = fetch): Promise<boolean> {
  try {
    const res = await fetchFn(url, { signal: AbortSignal.timeout(1000) })
    await res.body?.cancel()
    return res.status === 200
  } catch {
    return false
  }
}

/**
 * Stops `children` together: SIGTERM to each that still runs, then waits up to `graceMs` and
 * SIGKILLs whatever is left. Never throws; resolves once all have exited.
 */
export async function stopChildren (children: readonly Child[], clock: Clock, graceMs: number): Promise<void> {
  const running = children.filter((c) => c.exit === undefined)
  if (running.length === 0) return
  for (const c of running) c.kill('SIGTERM')
  const all = Promise.all(running.map((c) => c.exited))
  const controller = new AbortController()
  const timedOut = await Promise.race([all.then(() => false), clock.sleep(graceMs, controller.signal).then(() => true, () => false)])
  controller.abort()
  if (timedOut) for (const c of running) c.kill('SIGKILL')
  await all
}
