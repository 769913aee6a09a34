import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { repoRoot } from './broker.ts'

export interface NodeProcess {
  child: ChildProcess
  api: string
  otlp: string
  brokerPort: number
  exited: Promise<number | null>
  stop: () => Promise<number | null>
}

export interface NodeProcessOptions {
  /** Every line the node writes to stderr (its JSON log), for as long as it runs. */
  onStderrLine?: (line: string) => void
}

/**
 * Runs `node bin/livestore.js start` as a child process on ephemeral loopback ports and waits
 * until it logged its listening addresses. `args` are extra command-line words (key flags; named
 * flags such as `--http-port 3200` given again here override the ephemeral ports).
 */
export async function startNodeProcess (dataDir: string, args: string[] = [], nodeOptions: string[] = [], options: NodeProcessOptions = {}): Promise<NodeProcess> {
  const child = spawn(process.execPath, [...nodeOptions, join(repoRoot, 'bin/livestore.js'), 'start', '--data-dir', dataDir,
    '--http-port', '0', '--otlp-http-port', '0', '--embedded-kafka-port', '0',
    '--server.http_listen_address', '127.0.0.1', '--distributor.otlp_http_listen_address', '127.0.0.1', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const seen: { api?: number, otlp?: number, broker?: number, ready?: boolean } = {}
  const lines: string[] = []
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${lines.join('\n')}`)), 30_000)
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      options.onStderrLine?.(line)
      if (lines.length < 200) lines.push(line)
      let rec: { msg?: string, service?: string, port?: number, address?: { port: number } }
      try { rec = JSON.parse(line) as typeof rec } catch { return }
      if (rec.msg === 'broker listening') seen.broker = rec.port
      if (rec.msg === 'http server listening' && rec.service === 'query-api') seen.api = rec.address?.port
      if (rec.msg === 'http server listening' && rec.service === 'otlp-http') seen.otlp = rec.address?.port
      if (seen.api !== undefined && seen.otlp !== undefined && seen.broker !== undefined) { clearTimeout(timer); resolve() }
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`node exited with ${code}:\n${lines.join('\n')}`)) })
  }).catch((err: unknown) => {
    child.kill('SIGKILL') // a node that did not come up is not left behind
    throw err
  })
  return {
    child,
    api: `http://127.0.0.1:${seen.api}`,
    otlp: `http://127.0.0.1:${seen.otlp}`,
    brokerPort: seen.broker as number,
    exited,
    stop: async () => { child.kill('SIGTERM'); return await exited },
  }
}

/**
 * The test's environment without the test-only LIVESTORE_TEST_* switches (LIVESTORE_TEST_LOG…):
 * the node reads LIVESTORE_* as config and refuses unknown keys.
 */
function childEnv (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVESTORE_TEST_')))
}

/** Peak resident set size (VmHWM) of a process, in bytes (Linux). */
export async function peakRssBytes (pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1]
  return kb === undefined ? 0 : Number(kb) * 1024
}
