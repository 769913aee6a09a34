import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeTracesProto } from '../common/otlp/index.ts'
import { span, traces } from '../common/otlp/testing/model-fixture.ts'
import { httpAgent, httpRequest, quantile, sleep } from './helpers/http.ts'
import { requestPool, drive } from './helpers/otlp-load.ts'
import { startNodeChild } from './helpers/node-child.ts'
import { report } from './report.ts'

/**
 * Produce → searchable (issue 6; Tempo only searches flushed blocks, 5–10 s late): a probe span
 * with a unique attribute is POSTed over OTLP/HTTP (→ Kafka → the partition reader → memory),
 * and `GET /api/search?q={ span.probe.id = "…" }` is polled every `--poll-ms` until it finds
 * the trace. The time from just before the POST to the answer that found it, per probe; p50/p99.
 * Optionally under background load (`--load-concurrency` requests of 100 spans in flight).
 *
 *   npm run bench -- search-freshness [--probes 100] [--poll-ms 10] [--load-concurrency 0]
 */
const { values } = parseArgs({
  options: {
    probes: { type: 'string', default: '100' },
    'poll-ms': { type: 'string', default: '10' },
    'load-concurrency': { type: 'string', default: '0' },
  },
})
const B = 'search-freshness'
const probes = Number(values.probes)
const pollMs = Number(values['poll-ms'])
const loadConcurrency = Number(values['load-concurrency'])
if (loadavg()[0]! > 1) console.error(`${B}: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-fresh-'))
const agent = httpAgent(4)
let exitCode = 0
try {
  const node = await startNodeChild(dir, { args: ['--overrides.max_traces_per_user', '0'] })
  try {
    while ((await httpRequest(`${node.api}/ready`, { agent }).catch(() => ({ status: 0 }))).status !== 200) await sleep(100)
    const stopLoad = new AbortController()
    const load = loadConcurrency > 0
      ? drive(node.otlp, requestPool(50, 100, { now: Date.now() }), { concurrency: loadConcurrency, durationMs: 3_600_000, agent, signal: stopLoad.signal })
      : undefined
    const lat: number[] = []
    let polls = 0
    for (let i = 0; i < probes; i++) {
      const id = randomBytes(8).toString('hex')
      const nowNs = BigInt(Date.now()) * 1_000_000n
      const body = encodeTracesProto(traces([span({ traceId: randomBytes(16), spanId: randomBytes(8), startTimeUnixNano: nowNs, endTimeUnixNano: nowNs + 1_000_000n, attributes: [{ key: 'probe.id', value: { kind: 'string', value: id } }] })]))
      const q = encodeURIComponent(`{ span.probe.id = "${id}" }`)
      const t0 = performance.now()
      const res = await httpRequest(`${node.otlp}/v1/traces`, { agent, method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' }, timeoutMs: 30_000 })
      if (res.status !== 200) throw new Error(`probe push answered ${res.status}`)
      for (;;) {
        polls++
        const out = await httpRequest(`${node.api}/api/search?q=${q}`, { agent, timeoutMs: 30_000 })
        if (out.status !== 200) throw new Error(`search answered ${out.status}: ${out.body.toString('utf8').slice(0, 200)}`)
        if ((JSON.parse(out.body.toString('utf8')) as { traces?: unknown[] }).traces?.length === 1) break
        if (performance.now() - t0 > 30_000) throw new Error(`probe ${id} not searchable after 30 s`)
        await sleep(pollMs)
      }
      lat.push(performance.now() - t0)
    }
    stopLoad.abort()
    const loaded = await load
    lat.sort((a, b) => a - b)
    const params = { probes, pollMs, loadConcurrency, loadSpansPerS: loaded === undefined ? 0 : Math.round(loaded.spans / ((loaded.endedAt - loaded.startedAt) / 1000)), pollsPerProbe: Math.round(polls / probes * 10) / 10 }
    report(B, 'produce_to_searchable_p50_ms', quantile(lat, 0.5), 'ms', params)
    report(B, 'produce_to_searchable_p99_ms', quantile(lat, 0.99), 'ms', params)
    report(B, 'produce_to_searchable_max_ms', lat[lat.length - 1] ?? NaN, 'ms', params)
  } finally {
    await node.stop(30_000)
  }
} catch (err) {
  console.error(`${B} failed:`, err)
  exitCode = 1
} finally {
  agent.destroy()
  rmSync(dir, { recursive: true, force: true })
}
process.exit(exitCode)
