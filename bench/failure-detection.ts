import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { httpAgent, quantile, sleep } from './helpers/http.ts'
import { commandLineOf, killQuietly, ringOf, startLocalCluster, waitHealthy } from './helpers/local-cluster.ts'
import type { ClusterNode, LocalCluster, RingView } from './helpers/local-cluster.ts'
import { report } from './report.ts'

/**
 * Failure detection on a local cluster of real processes (issue 5; target ≤ 3 s with the default
 * `heartbeat_period` 1 s / `heartbeat_timeout` 3 s): `livestore cluster --zones 2
 * --nodes-per-zone 2 --partitions 2 --json` (every node owns one partition), then, per round,
 * one owner is SIGKILLed, or SIGSTOPped, and every other node's `GET /api/ring` is polled every
 * `--poll-ms` until it marks that owner unhealthy (its owner entries, and its member entry).
 * The rule (node/cluster.ts `ownersOf`): healthy = heartbeat younger than `heartbeat_timeout`
 * OR a live libp2p connection, so a frozen process counts as healthy until libp2p's connection
 * monitor (ping every 2 s, adaptive 0.5–2 s timeout) drops its connection; the poll records
 * when `connected` turns false too.
 * A killed node is restarted from its own command line (same data, ports, peer key) and the next
 * round waits until every view is healthy again; a stopped one gets SIGCONT and the time until
 * every view shows it healthy again is reported.
 * Times are from just before the signal to the answer that showed the change (poll granularity
 * `--poll-ms` plus one request).
 *   npm run bench -- failure-detection [--rounds 3] [--poll-ms 50] [--zones 2] [--nodes-per-zone 2] [--partitions 2]
 */
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'poll-ms': { type: 'string', default: '50' },
    'timeout-seconds': { type: 'string', default: '20' },
    zones: { type: 'string', default: '2' },
    'nodes-per-zone': { type: 'string', default: '2' },
    partitions: { type: 'string', default: '2' },
  },
})
const rounds = Number(values.rounds)
const pollMs = Number(values['poll-ms'])
const timeoutMs = Number(values['timeout-seconds']) * 1000
const zones = Number(values.zones)
const nodesPerZone = Number(values['nodes-per-zone'])
const partitions = Number(values.partitions)
const bench = 'failure-detection'
const agent = httpAgent(32)

interface Seen {
  /** ms from the signal: every owner entry of the victim unhealthy, member entry unhealthy, connection gone. */
  ownerUnhealthy?: number
  memberUnhealthy?: number
  disconnected?: number
  /** The victim's heartbeat age in the view that first showed it unhealthy. */
  heartbeatAgeMs?: number
  polls: number
  errors: number
}

function victimState (v: RingView, victim: string): { ownerHealthy: boolean, memberHealthy: boolean, connected: boolean, heartbeatAgeMs: number | undefined } {
  const owners = v.partitions.flatMap((p) => p.owners.filter((o) => o.nodeId === victim))
  const member = v.members.find((m) => m.nodeId === victim)
  return {
    ownerHealthy: owners.some((o) => o.healthy),
    memberHealthy: member?.healthy ?? false,
    connected: member?.connected ?? false,
    heartbeatAgeMs: member?.heartbeatAgeMs,
  }
}

/** Polls every observer (each on its own loop) until `done(view)` holds there, or the timeout. */
async function pollUntil (observers: readonly ClusterNode[], t0: number, step: (seen: Seen, view: RingView, atMs: number) => boolean): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>()
  await Promise.all(observers.map(async (o) => {
    const seen: Seen = { polls: 0, errors: 0 }
    out.set(o.node, seen)
    while (performance.now() - t0 < timeoutMs) {
      const sent = performance.now()
      try {
        const view = await ringOf(o, agent, 2_000)
        seen.polls++
        if (step(seen, view, performance.now() - t0)) return
      } catch {
        seen.errors++
      }
      await sleep(Math.max(0, pollMs - (performance.now() - sent)))
    }
  }))
  return out
}

async function detect (victim: ClusterNode, observers: readonly ClusterNode[], signal: NodeJS.Signals): Promise<Map<string, Seen>> {
  const t0 = performance.now()
  process.kill(victim.pid, signal)
  return await pollUntil(observers, t0, (seen, view, at) => {
    const s = victimState(view, victim.node)
    if (!s.connected) seen.disconnected ??= at
    if (!s.ownerHealthy) seen.ownerUnhealthy ??= at
    if (!s.memberHealthy && seen.memberUnhealthy === undefined) {
      seen.memberUnhealthy = at
      seen.heartbeatAgeMs = s.heartbeatAgeMs
    }
    return seen.ownerUnhealthy !== undefined && seen.memberUnhealthy !== undefined
  })
}

function summary (seen: Map<string, Seen>): Record<string, unknown> {
  const per = Object.fromEntries([...seen].map(([node, s]) => [node, { unhealthyMs: round(s.ownerUnhealthy), memberUnhealthyMs: round(s.memberUnhealthy), disconnectedMs: round(s.disconnected), heartbeatAgeMs: s.heartbeatAgeMs, polls: s.polls, errors: s.errors }]))
  return { observers: per }
}

function round (v: number | undefined): number | null { return v === undefined ? null : Math.round(v) }

/** The slowest observer (undefined when one never saw it: a timeout). */
function slowest (seen: Map<string, Seen>, f: (s: Seen) => number | undefined): number | undefined {
  const vs = [...seen.values()].map(f)
  return vs.some((v) => v === undefined) ? undefined : Math.max(...(vs as number[]))
}

let cluster: LocalCluster | undefined
let stopped: ClusterNode | undefined
let exitCode = 0
const cleanup = async (): Promise<void> => {
  if (stopped !== undefined) killQuietly(stopped.pid, 'SIGCONT')
  await cluster?.stop()
  agent.destroy()
}
process.once('SIGINT', () => { void cleanup().finally(() => process.exit(130)) })
process.once('SIGTERM', () => { void cleanup().finally(() => process.exit(143)) })

try {
  const t0 = performance.now()
  cluster = await startLocalCluster({ zones, nodesPerZone, partitions })
  const nodes = cluster.nodes
  if (!await waitHealthy(nodes, partitions, agent, 60_000)) throw new Error('the cluster did not become healthy within 60 s')
  const params = { zones, nodesPerZone, partitions, pollMs }
  report(bench, 'cluster_healthy_s', (performance.now() - t0) / 1000, 's', { ...params, load1: loadavg()[0] })

  // Victims rotate over every node but the first (the one everybody joined through).
  const candidates = nodes.slice(1)
  const results: Record<'SIGKILL' | 'SIGSTOP', number[]> = { SIGKILL: [], SIGSTOP: [] }
  let misses = { SIGKILL: 0, SIGSTOP: 0 }
  for (let r = 0; r < rounds; r++) {
    for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
      const victim = candidates[(2 * r + (signal === 'SIGKILL' ? 0 : 1)) % candidates.length] as ClusterNode
      const observers = nodes.filter((n) => n !== victim)
      const argv = commandLineOf(victim.pid)
      const load1 = loadavg()[0]
      if (signal === 'SIGSTOP') stopped = victim
      const seen = await detect(victim, observers, signal)
      const all = slowest(seen, (s) => s.ownerUnhealthy)
      const extra = { ...params, round: r, victim: victim.node, load1, disconnectedAllMs: round(slowest(seen, (s) => s.disconnected)), ...summary(seen) }
      if (all === undefined) {
        misses = { ...misses, [signal]: misses[signal] + 1 }
        report(bench, `${signal.toLowerCase()}_not_detected_within_ms`, timeoutMs, 'ms', extra)
      } else {
        results[signal].push(all)
        report(bench, `${signal.toLowerCase()}_unhealthy_everywhere_ms`, all, 'ms', extra)
      }

      const back = performance.now()
      if (signal === 'SIGKILL') {
        cluster.restart(victim, argv)
      } else {
        process.kill(victim.pid, 'SIGCONT')
        stopped = undefined
        const healthyAgain = await pollUntil(observers, back, (seen, view, at) => {
          const s = victimState(view, victim.node)
          if (s.ownerHealthy && s.memberHealthy) { seen.ownerUnhealthy = at; return true }
          return false
        })
        const again = slowest(healthyAgain, (s) => s.ownerUnhealthy)
        report(bench, 'sigcont_healthy_everywhere_ms', again ?? timeoutMs, 'ms', { ...params, round: r, victim: victim.node, recovered: again !== undefined })
      }
      if (!await waitHealthy(nodes, partitions, agent, 90_000)) throw new Error(`the cluster did not become healthy again within 90 s after the ${signal} of ${victim.node}`)
      if (signal === 'SIGKILL') report(bench, 'sigkill_restart_healthy_everywhere_ms', performance.now() - back, 'ms', { ...params, round: r, victim: victim.node, what: 'restart of the killed node until every view shows every owner healthy' })
      await sleep(2000)
    }
  }
  for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
    const v = results[signal].sort((a, b) => a - b)
    report(bench, `${signal.toLowerCase()}_unhealthy_everywhere_p50_ms`, quantile(v, 0.5), 'ms', { ...params, rounds: v.length, missed: misses[signal], max: Math.round(v[v.length - 1] ?? NaN) })
  }
} catch (err) {
  console.error('failure-detection failed:', err, cluster?.stderr() ?? '')
  exitCode = 1
} finally {
  await cleanup()
}
process.exit(exitCode)
