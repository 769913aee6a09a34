import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { seededRandom } from '../common/random.ts'
import { httpAgent, httpRequest, quantile, sleep } from './helpers/http.ts'
import { killQuietly, startLocalCluster, waitHealthy } from './helpers/local-cluster.ts'
import type { ClusterNode, LocalCluster } from './helpers/local-cluster.ts'
import { requestPool, stamped } from './helpers/otlp-load.ts'
import { report } from './report.ts'

/**
 * `GET /api/search` on the 6-node, 2-zone cluster (issue 6): `livestore cluster --zones 2
 * --nodes-per-zone 3 --partitions 3 --json`, `--spans` of realistic traces (load generator)
 * sent round-robin over every node's receiver, then a query mix on random nodes, `--queries`
 * per phase one at a time, p50/p99; then every node of zone b is SIGKILLed and the same mix runs
 * against zone a. Every answer must be 200; answers to the same query must list the same traces
 * on every node while the data holds fewer matches than the limit (the `marker` query).
 *
 *   npm run bench -- cluster-search [--spans 100000] [--queries 200]
 */
const { values } = parseArgs({ options: { spans: { type: 'string', default: '100000' }, queries: { type: 'string', default: '200' } } })
const B = 'cluster-search'
const targetSpans = Number(values.spans)
const queries = Number(values.queries)
const partitions = 3
const agent = httpAgent(16)
if (loadavg()[0]! > 1) console.error(`${B}: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

const MIX = [
  '{ resource.service.name = "frontend" }',
  '{ resource.service.name = "payment" && status = error }',
  '{ span.http.status_code >= 500 }',
  '{ duration > 50ms }',
  '{ span.db.system = "postgresql" && duration > 5ms }',
  '{ resource.service.name = "frontend" } >> { status = error }',
]

async function search (node: ClusterNode, q: string, limit = 20): Promise<{ ms: number, ids: string[] }> {
  const res = await httpRequest(`http://127.0.0.1:${node.http}/api/search?q=${encodeURIComponent(q)}&limit=${limit}`, { agent, timeoutMs: 30_000 })
  if (res.status !== 200) throw new Error(`${node.node}: ${q} answered ${res.status} ${res.body.toString('utf8').slice(0, 300)}`)
  const json = JSON.parse(res.body.toString('utf8')) as { traces?: { traceID: string }[] }
  return { ms: res.ms, ids: (json.traces ?? []).map((t) => t.traceID).sort() }
}

async function phase (name: string, targets: readonly ClusterNode[], seed: number): Promise<void> {
  const rnd = seededRandom(seed)
  const lat: number[] = []
  for (let i = 0; i < queries; i++) lat.push((await search(targets[rnd.int(targets.length)]!, MIX[i % MIX.length]!)).ms)
  lat.sort((a, b) => a - b)
  const params = { targets: targets.length, queries, mix: MIX.length, load1: Math.round((loadavg()[0] ?? 0) * 10) / 10 }
  report(B, `${name}_p50_ms`, quantile(lat, 0.5), 'ms', params)
  report(B, `${name}_p99_ms`, quantile(lat, 0.99), 'ms', params)
}

/** Every node answers the same trace ids for `q` (fewer matches than the limit). */
async function sameEverywhere (targets: readonly ClusterNode[], q: string): Promise<number> {
  const answers = await Promise.all(targets.map((n) => search(n, q, 1000)))
  const first = answers[0]!.ids.join()
  for (const [k, a] of answers.entries()) if (a.ids.join() !== first) throw new Error(`${targets[k]!.node} lists other traces for ${q}`)
  return answers[0]!.ids.length
}

let cluster: LocalCluster | undefined
let exitCode = 0
try {
  cluster = await startLocalCluster({ zones: 2, nodesPerZone: 3, partitions, extra: ['--overrides.max_traces_per_user', '0'] })
  const nodes = cluster.nodes
  if (!await waitHealthy(nodes, partitions, agent, 60_000)) throw new Error('the cluster did not turn healthy within 60 s')
  const pool = requestPool(50, 500, { now: Date.now() })
  let spans = 0
  let sent = 0
  const t0 = performance.now()
  for (let i = 0; spans < targetSpans; i++) {
    const p = pool[i % pool.length]!
    const res = await httpRequest(`http://127.0.0.1:${nodes[i % nodes.length]!.otlp}/v1/traces`, { agent, method: 'POST', body: stamped(p, Math.floor(i / pool.length) + 1), headers: { 'content-type': 'application/x-protobuf' }, timeoutMs: 30_000 })
    if (res.status !== 200) throw new Error(`push answered ${res.status}`)
    spans += p.spans
    sent++
  }
  report(B, 'load_spans', spans, 'spans', { requests: sent, seconds: Math.round((performance.now() - t0) / 100) / 10 })
  // The rarest of the mix serves as the consistency check: wait until every node agrees.
  const marker = '{ resource.service.name = "payment" && status = error }'
  const deadline = performance.now() + 120_000
  let matches = 0
  for (;;) {
    try { matches = await sameEverywhere(nodes, marker); if (matches > 0) break } catch (err) { if (performance.now() > deadline) throw err }
    if (performance.now() > deadline) throw new Error('no node finds the marker traces after 120 s')
    await sleep(1000)
  }
  report(B, 'consistent_matches', matches, 'traces', { query: marker, nodes: nodes.length })
  await phase('all_nodes', nodes, 1)
  const zoneA = nodes.filter((n) => n.zone === 'a')
  for (const n of nodes) if (n.zone === 'b') killQuietly(n.pid)
  await phase('zone_b_killed', zoneA, 2)
  const after = await sameEverywhere(zoneA, marker)
  if (after !== matches) throw new Error(`zone a lists ${after} marker traces after zone b died, ${matches} before`)
  report(B, 'zone_b_killed_consistent_matches', after, 'traces', { query: marker })
} catch (err) {
  console.error(`${B} failed:`, err, cluster?.stderr() ?? '')
  exitCode = 1
} finally {
  await cluster?.stop()
  agent.destroy()
}
process.exit(exitCode)
