/**
 * What a scenario is: a topology and configuration (`setup`), a script of actions on the
 * cluster (`run`), and the figures it reports. Invariants are not part of it: the monitor checks
 * the same ones in every run; a scenario only says when availability is required, which
 * convergence bounds it expects, and which nodes it breaks on purpose (`monitor.exclude`).
 */
import type { ClusterOptions, SimCluster } from './cluster.ts'
import type { Monitor, MonitorOptions } from './monitor.ts'

export interface ScenarioSetup {
  cluster: Omit<ClusterOptions, 'seed'>
  monitor?: Partial<Omit<MonitorOptions, 'promotion'>>
  /** The largest clock skew any node gets (the promotion check allows owners' stamps to be off by it). */
  skewToleranceMs?: number
}

export type Metric = number | string | boolean | null

export interface ScenarioContext {
  readonly sim: SimCluster
  readonly monitor: Monitor
  /** The size the run asked for (`--nodes`). */
  readonly nodes: number
  /** Figures for the summary (deterministic: functions of the seed). */
  readonly metrics: Record<string, Metric>
}

export interface Scenario {
  /** kebab-case, the CLI name. */
  readonly name: string
  readonly title: string
  /** What happens and what must hold, for the report. */
  readonly description: string
  readonly defaultNodes: number
  readonly minNodes: number
  setup (nodes: number): ScenarioSetup
  run (ctx: ScenarioContext): Promise<void>
}
