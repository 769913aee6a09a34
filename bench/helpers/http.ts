import { Agent, request } from 'node:http'

/**
 * Small HTTP helpers for benchmarks: keep-alive requests over node:http (cheaper per request
 * than fetch, so the client takes less of the cores the node under test needs) and Prometheus
 * text parsing.
 */
export interface HttpResult { status: number, body: Buffer, ms: number }

export function httpAgent (maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets })
}

export function httpRequest (url: string, opts: { agent: Agent, method?: string, body?: Buffer, headers?: Record<string, string>, timeoutMs?: number }): Promise<HttpResult> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: opts.agent, method: opts.method ?? 'GET', headers: { ...(opts.headers ?? {}), ...(opts.body === undefined ? {} : { 'content-length': String(opts.body.length) }) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - t0 }))
      res.on('error', reject)
    })
    req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error(`request to ${url} timed out`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Every sample of a Prometheus text exposition, by metric name: the sum over its label sets. */
export function parseMetricSums (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const brace = line.indexOf('{')
    const space = line.lastIndexOf(' ')
    const name = line.slice(0, brace >= 0 && brace < space ? brace : line.indexOf(' '))
    const value = Number(line.slice(space + 1))
    if (Number.isFinite(value)) out.set(name, (out.get(name) ?? 0) + value)
  }
  return out
}

/** The node's /metrics as sums by metric name. */
export async function scrape (api: string, agent: Agent): Promise<Map<string, number>> {
  const res = await httpRequest(`${api}/metrics`, { agent })
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  return parseMetricSums(res.body.toString('utf8'))
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The value at quantile `p` (0..1) of an ascending array. */
export function quantile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN
}
