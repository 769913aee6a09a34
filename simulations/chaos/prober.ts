import type { Agent } from 'node:http'
import { sleep } from '../../bench/helpers/http.ts'
import { apiBase } from '../../bench/helpers/local-cluster.ts'
import type { Random } from '../../common/random.ts'
import type { ChaosCluster, ChaosNode } from './cluster.ts'
import { byTrace, fetchSpanCounts, getFresh, readAcks } from './load.ts'

/**
 * The continuous query prober: every `periodMs`, each node the run believes up is asked for one
 * acknowledged trace by ID (acknowledged at least `settleMs` earlier, so it had time to be
 * consumed; success = 200 with every span acknowledged by then) and for one search (success =
 * 200 with at least one trace). A failure counts against the verdict only when every partition
 * had a live owner both when the query started and when it ended, and the node asked was still
 * up at the end (a node killed, frozen or cut off under a query cannot answer it; a client asks
 * another node); otherwise it is "excused".
 * Results are bucketed per second of the run.
 */
export interface Second {
  t: number
  ok: number
  failed: number
  excused: number
  /** Spans acknowledged so far (ack log lines). */
  acked: number
}

export interface Prober {
  timeline: Second[]
  failures: string[]
  totals: () => { queries: number, ok: number, failed: number, excused: number, byId: number, search: number }
  stop: () => Promise<void>
}

const SEARCH = '{ resource.service.name = "frontend" }'

export function startProber (cluster: ChaosCluster, ackLog: string, agent: Agent, rand: Random, o: { t0: number, periodMs?: number, settleMs?: number }): Prober {
  const periodMs = o.periodMs ?? 1000
  const settleMs = o.settleMs ?? 5000
  const timeline: Second[] = []
  const failures: string[] = []
  const counts = { queries: 0, ok: 0, failed: 0, excused: 0, byId: 0, search: 0 }
  /** (time, acked count) samples, to pick traces acknowledged at least settleMs ago. */
  const history: { at: number, count: number }[] = []
  let running = true
  const bucket = (at: number): Second => {
    const t = Math.floor((at - o.t0) / 1000)
    while (timeline.length <= t) timeline.push({ t: timeline.length, ok: 0, failed: 0, excused: 0, acked: history.at(-1)?.count ?? 0 })
    return timeline[t] as Second
  }
  const record = (start: number, coveredBefore: boolean, asked: ChaosNode, ok: boolean, what: string): void => {
    const b = bucket(start)
    counts.queries++
    if (ok) { b.ok++; counts.ok++; return }
    if (coveredBefore && cluster.covered() && asked.state === 'up') {
      b.failed++
      counts.failed++
      if (failures.length < 50) failures.push(`+${((start - o.t0) / 1000).toFixed(1)}s ${what}`)
    } else { b.excused++; counts.excused++ }
  }
  const loop = async (): Promise<void> => {
    while (running) {
      const tick = performance.now()
      const acks = await readAcks(ackLog)
      history.push({ at: tick, count: acks.length })
      bucket(tick).acked = acks.length
      const old = history.filter((h) => h.at <= tick - settleMs).at(-1)?.count ?? 0
      const traces = [...byTrace(acks.slice(0, old))]
      await Promise.all(cluster.nodes.filter((n) => n.state === 'up').map(async (n) => {
        const covered = cluster.covered()
        // Nothing to ask for until some trace had time to be consumed.
        if (traces.length === 0) return
        {
          const [traceId, ids] = traces[rand.int(traces.length)] as [string, Set<string>]
          // Only the spans acknowledged before `old` (the trace may have grown since).
          const start = performance.now()
          const got = await fetchSpanCounts(apiBase(n), traceId, agent, 5000)
          const missing = typeof got === 'string' ? got : [...ids].filter((id) => !got.has(id)).length > 0 ? `${[...ids].filter((id) => !got.has(id)).length}/${ids.size} spans missing` : ''
          counts.byId++
          record(start, covered, n, missing === '', `${n.node} trace ${traceId}: ${missing}`)
        }
        const t1 = performance.now()
        const res = await getFresh(`${apiBase(n)}/api/search?q=${encodeURIComponent(SEARCH)}&limit=20`, agent, 5000)
          .then((r) => r.status === 200 && ((JSON.parse(r.body.toString('utf8')) as { traces?: unknown[] }).traces ?? []).length > 0 ? '' : `HTTP ${r.status} ${r.body.toString('utf8').slice(0, 600)}`, (err: Error) => err.message)
        counts.search++
        record(t1, covered, n, res === '', `${n.node} search: ${res}`)
      }))
      await sleep(Math.max(0, periodMs - (performance.now() - tick)))
    }
  }
  const done = loop()
  return {
    timeline,
    failures,
    totals: () => ({ ...counts }),
    stop: async () => { running = false; await done },
  }
}
