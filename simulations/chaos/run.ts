import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpAgent, sleep } from '../../bench/helpers/http.ts'
import { apiBase } from '../../bench/helpers/local-cluster.ts'
import { netnsUnavailable } from '../../node/cluster-netns.ts'
import { seededRandom } from '../../common/random.ts'
import { startChaosCluster } from './cluster.ts'
import type { ChaosCluster } from './cluster.ts'
import { killZone, netCut, restartZone, stopNode } from './faults.ts'
import type { FaultWindow, Step } from './faults.ts'
import { byTrace, checkSpans, readAcks, startGen } from './load.ts'
import type { Gen } from './load.ts'
import { startProber } from './prober.ts'
import type { Prober, Second } from './prober.ts'

/**
 * The chaos run on real processes (issue 7): `livestore cluster` (embedded broker + nodes in
 * zones on loopback), `livestore gen` load with an ack log, a query prober, and a fault script;
 * then every acknowledged span (or a bounded sample) is checked after the final recovery.
 */
export interface ChaosOptions {
  zones: number
  nodesPerZone: number
  partitions: number
  /** Rough length of the fault script, seconds (warm-up, holds and settle scale with it). */
  durationS: number
  /** The CI version: one zone SIGKILLed and restarted. */
  short: boolean
  rate: number
  seed: number
  /** At most this many acknowledged traces are checked at the end (a seeded sample beyond). */
  maxCheckedTraces: number
  /** Keep the cluster's data directory and node logs (its path is logged). */
  keepLogs?: boolean
  log: (line: string) => void
}

export interface ChaosResult {
  scenario: string
  options: Omit<ChaosOptions, 'log'>
  windows: FaultWindow[]
  queries: ReturnType<Prober['totals']>
  queryFailures: string[]
  acked: { spans: number, traces: number }
  check: { traces: number, spans: number, sampled: boolean, lost: number, duplicated: number, lostExamples: string[], errors: string[] }
  maxCatchUpMs: number | null
  maxReconvergeMs: number | null
  gen: string
  verdict: 'pass' | 'fail'
  reasons: string[]
  timeline: Second[]
  seconds: number
}

export const defaultOptions = (short: boolean): Omit<ChaosOptions, 'log'> => short
  ? { zones: 2, nodesPerZone: 2, partitions: 2, durationS: 15, short, rate: 100, seed: 7, maxCheckedTraces: 3000 }
  : { zones: 3, nodesPerZone: 2, partitions: 3, durationS: 60, short, rate: 200, seed: 7, maxCheckedTraces: 3000 }

function script (cluster: ChaosCluster, short: boolean): Step[] {
  const zones = cluster.zones()
  const last = zones.at(-1) as string
  if (short || zones.length < 3) return [killZone(last)]
  const second = zones[1] as string
  return [killZone(last), stopNode((cluster.zone(second)[0])!.node), netCut(last), restartZone(second)]
}

export async function runChaos (o: ChaosOptions): Promise<ChaosResult> {
  const agent = httpAgent(64)
  const rand = seededRandom(o.seed)
  const dir = await mkdtemp(join(tmpdir(), 'livestore-chaos-'))
  const ackLog = join(dir, 'acks.log')
  let cluster: ChaosCluster | undefined
  let gen: Gen | undefined
  let prober: Prober | undefined
  try {
    o.log(`starting ${o.zones} zones × ${o.nodesPerZone} nodes, ${o.partitions} partitions (+ the embedded broker)`)
    const noNetns = o.short ? 'not used by the short run' : await netnsUnavailable()
    o.log(noNetns === undefined ? 'zones in network namespaces (a zone can be cut off the network)' : `no network namespaces (${noNetns}): the network cut is skipped`)
    cluster = await startChaosCluster({ zones: o.zones, nodesPerZone: o.nodesPerZone, partitions: o.partitions, extra: ['--overrides.max_traces_per_user', '0'], keepDir: o.keepLogs === true, netns: noNetns === undefined }, agent)
    if (o.keepLogs === true) o.log(`node logs kept in ${cluster.dir}/<node>.log`)
    const steps = script(cluster, o.short)
    const unit = o.durationS * 1000 / (o.short ? 3 : 6)
    const target = cluster.zone(cluster.zones()[0] as string)[0]!
    const t0 = performance.now()
    gen = startGen(`http://${target.host}:${target.otlp}`, ackLog, { rate: o.rate, seed: o.seed })
    prober = startProber(cluster, ackLog, agent, rand, { t0 })
    o.log(`load: ${o.rate} spans/s into ${target.node}; warm-up ${(unit / 1000).toFixed(0)} s`)
    await sleep(unit)
    const windows: FaultWindow[] = []
    for (const step of steps) {
      const w = await step({ cluster, t0, holdMs: unit, recoveryTimeoutMs: 90_000 })
      windows.push(w)
      o.log(`${w.label}: +${w.start.toFixed(1)}s..+${w.end.toFixed(1)}s${w.catchUpMs === undefined ? '' : `, restarted nodes ready after ${w.catchUpMs} ms`}${w.reconvergeMs === undefined ? '' : `, ring healthy after ${w.reconvergeMs} ms`}${w.note === undefined ? '' : ` (${w.note})`}`)
      if (gen.exitCode() !== undefined) throw new Error(`gen exited early (${gen.exitCode()}): ${gen.output()}`)
    }
    await sleep(unit / 2)
    const genSummary = await gen.stop()
    await prober.stop()
    const acks = await readAcks(ackLog)
    const traces = byTrace(acks)
    let chosen = traces
    if (traces.size > o.maxCheckedTraces) {
      const ids = [...traces.keys()]
      const pick = new Set<string>(ids.slice(-o.maxCheckedTraces / 2))
      while (pick.size < o.maxCheckedTraces) pick.add(ids[rand.int(ids.length)] as string)
      chosen = new Map([...traces].filter(([id]) => pick.has(id)))
    }
    // Asked of a node of the zone faulted last (every partition it does not own is a fan-out).
    const last = windows.filter((w) => w.kind !== 'net-cut').at(-1)
    const asked = cluster.nodes.find((n) => last !== undefined && last.label.endsWith(`zone ${n.zone}`)) ?? target
    o.log(`checking ${chosen.size} of ${traces.size} acknowledged traces (${acks.length} spans) from ${asked.node}`)
    const check = await checkSpans(apiBase(asked), chosen, agent, 20_000)
    const q = prober.totals()
    const catchUps = windows.flatMap((w) => w.catchUpMs === undefined ? [] : [w.catchUpMs])
    const reconverges = windows.flatMap((w) => w.reconvergeMs === undefined ? [] : [w.reconvergeMs])
    const reasons: string[] = []
    if (q.failed > 0) reasons.push(`${q.failed} failed queries while every partition had a live owner`)
    if (check.lost.length > 0) reasons.push(`${check.lost.length} acknowledged spans lost`)
    if (check.errors.length > 0) reasons.push(`${check.errors.length} traces unreadable at the end`)
    if (acks.length === 0) reasons.push('no span was acknowledged')
    if (q.ok === 0) reasons.push('no probe query succeeded')
    for (const w of windows) if (w.note !== undefined && !w.note.startsWith('skipped')) reasons.push(`${w.label}: ${w.note}`)
    return {
      scenario: o.short ? 'chaos-short' : 'chaos',
      options: { zones: o.zones, nodesPerZone: o.nodesPerZone, partitions: o.partitions, durationS: o.durationS, short: o.short, rate: o.rate, seed: o.seed, maxCheckedTraces: o.maxCheckedTraces },
      windows,
      queries: q,
      queryFailures: prober.failures.slice(0, 20),
      acked: { spans: acks.length, traces: traces.size },
      check: { traces: check.traces, spans: check.spans, sampled: chosen.size < traces.size, lost: check.lost.length, duplicated: check.duplicated, lostExamples: check.lost.slice(0, 10).map((s) => `${s.traceId}/${s.spanId}`), errors: check.errors },
      maxCatchUpMs: catchUps.length === 0 ? null : Math.max(...catchUps),
      maxReconvergeMs: reconverges.length === 0 ? null : Math.max(...reconverges),
      gen: genSummary.replace(/\s+/g, ' ').trim().slice(-400),
      verdict: reasons.length === 0 ? 'pass' : 'fail',
      reasons,
      timeline: prober.timeline,
      seconds: (performance.now() - t0) / 1000,
    }
  } finally {
    gen?.kill()
    await prober?.stop()
    await cluster?.stop()
    agent.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}
