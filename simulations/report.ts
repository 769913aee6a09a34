/**
 * Writes a run's outputs into the output directory (default `simulations/out/`):
 * `<scenario>.json` (summary and timeline), `<scenario>.md` (the report a person reads) with
 * three SVG charts beside it (convergence, availability, messages per node per second), and for
 * a suite an `index.md`. Everything written is a function of the result, so of the seed.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatMs } from './cluster.ts'
import { invariantNames } from './invariants.ts'
import type { RunResult } from './run.ts'
import { lineChart } from './svg.ts'
import type { Series } from './svg.ts'

export const defaultOutDir = new URL('./out/', import.meta.url).pathname

/** `verdict: pass`, or `verdict: fail (…)` with the violation counts and the first violation. */
export function verdictLine (r: RunResult): string {
  if (r.verdict === 'pass') return 'verdict: pass'
  const counts = invariantNames.filter((n) => r.counts[n] > 0).map((n) => `${r.counts[n]} ${n}`).join(', ')
  const first = r.violations[0]
  return `verdict: fail (${counts}; first at ${formatMs(first?.t ?? 0)}: ${first?.detail ?? '?'})`
}

/** The command that replays a run. */
export function replayCommand (r: RunResult): string {
  return `npm run sim -- ${r.scenario} --nodes ${r.nodes} --seed ${r.seed}`
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits

/** The JSON document: numbers rounded so the file stays readable. */
export function toJson (r: RunResult): string {
  const doc = {
    ...r,
    violations: r.violations.map((v) => ({ ...v, t: round(v.t, 3) })),
    timeline: r.timeline.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]))),
  }
  return JSON.stringify(doc, null, 1) + '\n'
}

/** The scenario's actions (the log without the monitor's notes): numbered marks on the charts. */
function actions (r: RunResult): RunResult['log'] {
  return r.log.filter((l) => !l.event.startsWith('monitor:'))
}

function charts (r: RunResult): Record<string, string> {
  const sec = (t: number): number => t / 1000
  const marks = actions(r).map((l, i) => ({ x: sec(l.t), label: String(i + 1) }))
  const series = (name: string, color: string, f: (s: RunResult['timeline'][number]) => number | null): Series =>
    ({ name, color, points: r.timeline.map((s) => [sec(s.t), f(s)] as const) })
  return {
    convergence: lineChart({
      title: `${r.title}: replicas holding the latest state`,
      yLabel: 'fraction of live nodes',
      yMin: 0,
      yMax: 1,
      marks,
      series: [series('latest state', '#1f77b4', (s) => s.converged)],
    }),
    availability: lineChart({
      title: `${r.title}: query availability (read quorum 1)`,
      yLabel: 'fraction of partitions answered',
      yMin: 0,
      yMax: 1,
      marks,
      series: [
        series('all served partitions', '#2ca02c', (s) => s.availability),
        series('partitions with a reachable owner', '#d62728', (s) => s.requiredMet),
        series('routes free of dead owners', '#9467bd', (s) => s.routesLive),
      ],
    }),
    messages: lineChart({
      title: `${r.title}: messages per node per second`,
      yLabel: 'messages / node / s',
      marks,
      series: [series('sent', '#ff7f0e', (s) => s.messagesPerNodePerSecond)],
    }),
  }
}

export function markdown (r: RunResult): string {
  const lines: string[] = []
  lines.push(`# ${r.title} (\`${r.scenario}\`)`, '', r.description, '')
  lines.push(`**${verdictLine(r)}**`, '')
  lines.push(`Nodes ${r.nodes}, seed ${r.seed}, ${formatMs(r.simulatedMs)} simulated, ${r.events} events. Replay: \`${replayCommand(r)}\``, '')
  lines.push('| figure | value |', '| --- | --- |')
  for (const [k, v] of Object.entries(r.metrics)) lines.push(`| ${k} | ${v === null ? '–' : String(v)} |`)
  for (const e of r.expectations) {
    lines.push(`| converged ${e.label} (bound ${formatMs(e.withinMs)}) | ${e.afterMs === undefined ? 'no' : formatMs(e.afterMs)} |`)
  }
  lines.push('', '## Invariants', '')
  for (const n of invariantNames) lines.push(`- ${n}: ${r.counts[n] === 0 ? 'held' : `${r.counts[n]} violation(s)`}`)
  if (r.violations.length > 0) {
    lines.push('', '## Violations (first ones)', '')
    for (const v of r.violations) lines.push(`- ${formatMs(v.t)}${v.node === undefined ? '' : ` ${v.node}`} [${v.invariant}] ${v.detail}`)
  }
  lines.push('', '## Charts', '')
  for (const name of ['convergence', 'availability', 'messages']) lines.push(`![${name}](${r.scenario}-${name}.svg)`, '')
  lines.push('## Events', '', 'Numbered events are the dashed marks on the charts.', '')
  let n = 0
  for (const l of r.log) lines.push(l.event.startsWith('monitor:') ? `- ${formatMs(l.t)}: ${l.event}` : `${++n}. ${formatMs(l.t)}: ${l.event}`)
  return lines.join('\n') + '\n'
}

/** Writes one run's JSON, Markdown and charts; returns the Markdown path. */
export function writeRun (r: RunResult, outDir = defaultOutDir): string {
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, `${r.scenario}.json`), toJson(r))
  for (const [name, svg] of Object.entries(charts(r))) writeFileSync(join(outDir, `${r.scenario}-${name}.svg`), svg)
  const md = join(outDir, `${r.scenario}.md`)
  writeFileSync(md, markdown(r))
  return md
}

/** The suite's index: one line per scenario with its verdict and a link to its report. */
export function writeIndex (results: readonly RunResult[], outDir = defaultOutDir): string {
  mkdirSync(outDir, { recursive: true })
  const lines = ['# Simulation suite', '', '| scenario | nodes | seed | simulated | verdict |', '| --- | --- | --- | --- | --- |']
  for (const r of results) lines.push(`| [${r.title}](${r.scenario}.md) | ${r.nodes} | ${r.seed} | ${formatMs(r.simulatedMs)} | ${verdictLine(r).replace(/\|/g, '\\|')} |`)
  const path = join(outDir, 'index.md')
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}
