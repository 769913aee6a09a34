/**
 * Building blocks the scenarios share: a zoned topology (every partition owned once per zone),
 * the ring settings the scenarios run with, and "form the cluster, then require availability".
 */
import type { RingConfig } from '../../ring/config.ts'
import { listPartitions } from '../../ring/read.ts'
import type { NodeSpec } from '../node.ts'
import type { ScenarioContext, ScenarioSetup } from '../scenario.ts'

export const zoneNames = ['a', 'b', 'c', 'd', 'e'] as const

/**
 * `nodes` nodes over `zones` zones (`a-0`, `b-0`, `a-1`, …): node i of a zone owns partition i,
 * so every partition has one owner per zone. The first node of each zone is a seed for all.
 */
export function zonedNodes (nodes: number, zones: number): NodeSpec[] {
  const perZone = Math.max(1, Math.floor(nodes / zones))
  const names = zoneNames.slice(0, zones)
  const seeds = names.map((z) => `${z}-0`)
  const out: NodeSpec[] = []
  for (let i = 0; i < perZone; i++) {
    for (const z of names) out.push({ id: `${z}-${i}`, zone: z, partitions: [i], seeds })
  }
  return out
}

/**
 * The scenarios' ring settings: the defaults (heartbeat 1 s / timeout 3 s, reconcile 1 s,
 * anti-entropy 30 s, tombstone horizon 5 min, max clock skew 30 s), with one owner per zone
 * required for promotion (config.ts recommends the number of zones) and a 2 s owners duration
 * instead of 10 s so clusters form quickly.
 */
export function scenarioRing (zones: number, overrides: Partial<RingConfig> = {}): Partial<RingConfig> {
  return { min_partition_owners_count: zones, min_partition_owners_duration: 2_000, ...overrides }
}

/** The most common topology: `nodes` spread over two zones, with the scenario ring settings. */
export function twoZoneSetup (nodes: number): ScenarioSetup {
  return { cluster: { nodes: zonedNodes(nodes, 2), ring: scenarioRing(2) } }
}

/** Runs until `done()` holds (checked every `stepMs`), at most `limitMs`; the time it took, or undefined. */
export async function waitFor (ctx: ScenarioContext, done: () => boolean, limitMs: number, stepMs = 100): Promise<number | undefined> {
  for (let waited = 0; waited <= limitMs; waited += stepMs) {
    if (done()) return waited
    await ctx.sim.run(stepMs)
  }
  return undefined
}

/** True when the given nodes (default: all) run and the latest state has all their partitions active. */
export function formed (ctx: ScenarioContext, ids?: readonly string[]): boolean {
  const nodes = ids === undefined ? ctx.sim.list().filter((n) => !ctx.monitor.excluded.has(n.id)) : ids.map((id) => ctx.sim.node(id))
  const latest = ctx.monitor.latest()
  if (latest === undefined || nodes.some((n) => !n.running)) return false
  const active = new Set(listPartitions(latest).filter((p) => p.state === 'active').map((p) => p.id))
  return nodes.every((n) => n.partitions.every((p) => active.has(p)))
}

export interface FormOptions {
  /** The nodes to start (default: all). */
  ids?: readonly string[]
  /** Spread the starts over this long (default 0: all at once). */
  spreadMs?: number
  limitMs?: number
  convergeWithinMs?: number
}

/**
 * Starts the nodes, waits until the cluster has formed (at most `limitMs`), records
 * `formation_s`, then requires availability and expects the replicas to agree within
 * `convergeWithinMs`.
 */
export async function formCluster (ctx: ScenarioContext, options: FormOptions = {}): Promise<void> {
  const limitMs = options.limitMs ?? 60_000
  ctx.sim.startAll(options.ids, options.spreadMs ?? 0)
  const took = await waitFor(ctx, () => formed(ctx, options.ids), limitMs)
  ctx.metrics.formation_s = seconds(took)
  if (took === undefined) {
    ctx.monitor.report({ invariant: 'convergence', detail: `the cluster did not form (every node running, every partition active) within ${limitMs / 1000} s` })
    return
  }
  ctx.sim.note('cluster formed')
  ctx.monitor.requireAvailability()
  ctx.monitor.expectConvergence('after formation', options.convergeWithinMs ?? 5_000)
}

/** Seconds with two decimals (summary figures). */
export function seconds (ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms / 10) / 100
}
