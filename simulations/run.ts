/**
 * Runs one scenario with one seed: builds the cluster and the monitor, plays the script, and
 * returns everything the report needs. The result is a function of (scenario, nodes, seed) only;
 * the wall-clock time is returned beside it (`wallMs`) and never mixed in.
 */
import { getMaxListeners, setMaxListeners } from 'node:events'
import { defaultsOf } from '../common/config-schema.ts'
import { ringSchema } from '../ring/config.ts'
import type { RingConfig } from '../ring/config.ts'
import { SimCluster } from './cluster.ts'
import type { LogEntry } from './cluster.ts'
import type { InvariantName, Violation } from './invariants.ts'
import { Monitor } from './monitor.ts'
import type { ConvergenceExpectation, MonitorOptions, Sample } from './monitor.ts'
import type { Metric, Scenario, ScenarioContext } from './scenario.ts'

export interface RunResult {
  scenario: string
  title: string
  description: string
  seed: number
  nodes: number
  verdict: 'pass' | 'fail'
  simulatedMs: number
  events: number
  counts: Record<InvariantName, number>
  violations: Violation[]
  expectations: ConvergenceExpectation[]
  metrics: Record<string, Metric>
  log: LogEntry[]
  timeline: Sample[]
}

export interface RunOutcome {
  result: RunResult
  /** Wall-clock milliseconds the run took (not part of the result: it is not a function of the seed). */
  wallMs: number
}

export interface RunOptions {
  seed: number
  /** Default: the scenario's `defaultNodes`. */
  nodes?: number
  /** Changes the cluster before it starts (tests inject faults here). */
  prepare?: (sim: SimCluster, monitor: Monitor) => void
  /** Called every `progressEveryMs` of wall-clock time with the virtual time reached (for long runs; stderr). */
  progress?: (simulatedMs: number, events: number) => void
  progressEveryMs?: number
}

export async function runScenario (scenario: Scenario, options: RunOptions): Promise<RunOutcome> {
  const t0 = performance.now()
  // The query fan-out adds one abort listener per partition to one signal; past Node's default
  // of 10 it prints a MaxListenersExceededWarning per probe. Harmless, so raised for the run.
  setMaxListeners(Math.max(getMaxListeners(new EventTarget()), 100_000))
  const nodes = Math.max(scenario.minNodes, options.nodes ?? scenario.defaultNodes)
  const setup = scenario.setup(nodes)
  const sim = new SimCluster({ ...setup.cluster, seed: options.seed })
  const ring: RingConfig = { ...defaultsOf(ringSchema), ...setup.cluster.ring }
  const monitorOptions: MonitorOptions = {
    sampleMs: 250,
    queriersPerZone: 1,
    routesOfAll: false,
    ownerGraceMs: 2_000,
    ...setup.monitor,
    promotion: {
      minOwners: ring.min_partition_owners_count,
      minOwnersDurationMs: ring.min_partition_owners_duration,
      skewToleranceMs: setup.skewToleranceMs ?? 0,
    },
  }
  const monitor = new Monitor(sim, monitorOptions)
  options.prepare?.(sim, monitor)
  const ctx: ScenarioContext = { sim, monitor, nodes, metrics: {} }
  monitor.start()
  if (options.progress !== undefined) {
    const every = options.progressEveryMs ?? 30_000
    let last = performance.now()
    monitor.onSample = () => {
      if (performance.now() - last < every) return
      last = performance.now()
      options.progress?.(sim.elapsed(), sim.scheduler.eventsRun)
    }
  }
  try {
    await scenario.run(ctx)
  } catch (err) {
    sim.errors.push({ t: sim.elapsed(), event: `scenario script failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}` })
  }
  await monitor.finish()
  const result: RunResult = {
    scenario: scenario.name,
    title: scenario.title,
    description: scenario.description,
    seed: options.seed,
    nodes: sim.nodes.size,
    verdict: Object.values(monitor.counts).some((n) => n > 0) ? 'fail' : 'pass',
    simulatedMs: sim.elapsed(),
    events: sim.scheduler.eventsRun,
    counts: monitor.counts,
    violations: monitor.violations,
    expectations: monitor.expectations,
    metrics: { ...ctx.metrics, promotions: monitor.promotion.promotions, ...rejections(sim) },
    log: sim.log,
    timeline: monitor.timeline,
  }
  return { result, wallMs: performance.now() - t0 }
}

/** Gossip rejected by the replicas' validators, in total and by reason (their own counters). */
function rejections (sim: SimCluster): Record<string, number> {
  const out: Record<string, number> = {}
  let total = 0
  for (const n of sim.list()) {
    const stats = n.incarnation?.replica.stats
    if (stats === undefined) continue
    for (const [reason, count] of Object.entries(stats.rejected)) {
      if (count === 0) continue
      out[`rejected_${reason}`] = (out[`rejected_${reason}`] ?? 0) + count
      total += count
    }
  }
  return { rejected: total, ...out }
}
