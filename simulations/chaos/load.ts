import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import type { Agent } from 'node:http'
import { join } from 'node:path'
import { httpRequest, sleep } from '../../bench/helpers/http.ts'
import type { HttpResult } from '../../bench/helpers/http.ts'
import { parseAckLog } from '../../tools/loadgen/ack-log.ts'
import type { AckedSpan } from '../../tools/loadgen/ack-log.ts'

/**
 * Load and the acknowledged-span checker: `livestore gen --ack-log` as a child process (retries
 * that outlast a zone's absence), the ack log read back, and a check that every acknowledged
 * span is returned by `GET /api/v2/traces/<id>` (the approach of
 * test/integration/crash-restart.test.ts: a missing span is asked again until a grace passes).
 */
const repoRoot = new URL('../../', import.meta.url).pathname

export interface Gen {
  exitCode: () => number | null | undefined
  output: () => string
  /** SIGINT (gen stops and closes the ack log); resolves with its summary. */
  stop: () => Promise<string>
  kill: () => void
}

export function startGen (otlpUrl: string, ackLog: string, o: { rate: number, seed: number }): Gen {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/livestore.js'), 'gen',
    '--url', otlpUrl, '--ack-log', ackLog, '--rate', String(o.rate), '--batch', '20', '--concurrency', '2',
    '--duration', '3600s', '--seed', String(o.seed), '--max-retries', '400', '--retry-backoff', '50ms', '--max-backoff', '500ms'],
  { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot })
  let out = ''
  let code: number | null | undefined
  const keep = (b: Buffer): void => { out = (out + b.toString('utf8')).slice(-4000) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', (c) => { code = c; resolve() }))
  return {
    exitCode: () => code,
    output: () => out,
    stop: async () => {
      if (code === undefined) child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
      return out
    },
    kill: () => { if (code === undefined) child.kill('SIGKILL') },
  }
}

export async function readAcks (path: string): Promise<AckedSpan[]> {
  return parseAckLog(await readFile(path, 'utf8').catch(() => '')).spans
}

/** Acknowledged span ids by trace, in the order of first acknowledgement. */
export function byTrace (spans: readonly AckedSpan[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const s of spans) {
    let set = out.get(s.traceId)
    if (set === undefined) out.set(s.traceId, set = new Set())
    set.add(s.spanId)
  }
  return out
}

/**
 * A GET through the pooled `agent`, retried once when the pooled connection turns out dead
 * (`socket hang up`, `ECONNRESET`): after a network cut heals, the keep-alive sockets the agent
 * kept to the cut zone are reset on first use — a client artefact, not a failed query, and what
 * any HTTP client does for an idempotent request.
 */
export async function getFresh (url: string, agent: Agent, timeoutMs: number): Promise<HttpResult> {
  try {
    return await httpRequest(url, { agent, timeoutMs })
  } catch (err) {
    if (!/socket hang up|ECONNRESET/.test((err as Error).message)) throw err
    return await httpRequest(url, { agent, timeoutMs })
  }
}

/** Occurrences of each span id (hex) in the trace as the node returns it, or why it could not be read. */
export async function fetchSpanCounts (apiBase: string, traceId: string, agent: Agent, timeoutMs = 10_000): Promise<Map<string, number> | string> {
  let res
  try {
    res = await getFresh(`${apiBase}/api/v2/traces/${traceId}`, agent, timeoutMs)
  } catch (err) {
    return `request failed: ${(err as Error).message}`
  }
  const text = res.body.toString('utf8')
  return res.status === 200 ? spanIdCounts(text) : `HTTP ${res.status}: ${text.slice(0, 200)}`
}

/** Occurrences of each span id (hex) in a `/api/v2/traces/{id}` JSON answer (the crash test reads answers the same way). */
export function spanIdCounts (v2Json: string): Map<string, number> {
  const body = JSON.parse(v2Json) as { trace: { resourceSpans?: { scopeSpans?: { spans?: { spanId?: string }[] }[] }[] } }
  const counts = new Map<string, number>()
  for (const rs of body.trace.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const id = Buffer.from(s.spanId ?? '', 'base64').toString('hex')
        counts.set(id, (counts.get(id) ?? 0) + 1)
      }
    }
  }
  return counts
}

export interface CheckResult { traces: number, spans: number, lost: AckedSpan[], duplicated: number, errors: string[] }

/**
 * Asks the node at `apiBase` (`http://host:port`) for every trace of `traces` (8 at once) and counts each acknowledged span id:
 * absent = lost, more than once = duplicated. A trace with a missing span is asked again every
 * 250 ms until `graceMs` passed.
 */
export async function checkSpans (apiBase: string, traces: Map<string, Set<string>>, agent: Agent, graceMs: number): Promise<CheckResult> {
  const result: CheckResult = { traces: traces.size, spans: 0, lost: [], duplicated: 0, errors: [] }
  const queue = [...traces].reverse()
  const deadline = performance.now() + graceMs
  const worker = async (): Promise<void> => {
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const [traceId, ids] = next
      result.spans += ids.size
      for (;;) {
        const got = await fetchSpanCounts(apiBase, traceId, agent)
        const missing = typeof got === 'string' ? [...ids] : [...ids].filter((id) => !got.has(id))
        if (missing.length > 0 && performance.now() < deadline) { await sleep(250); continue }
        if (typeof got === 'string') { if (result.errors.length < 10) result.errors.push(`${traceId}: ${got}`) } else result.duplicated += [...ids].filter((id) => (got.get(id) ?? 0) > 1).length
        for (const id of missing) result.lost.push({ traceId, spanId: id })
        break
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return result
}
