import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChaosResult } from './run.ts'
import { timelineSvg } from './timeline-svg.ts'

/**
 * The chaos run's outputs, like the simulator's (simulations/report.ts): `<scenario>.json`,
 * `<scenario>.md` and `<scenario>-timeline.svg` (fault windows shaded) in the output directory.
 */
export const defaultOutDir = new URL('../out/', import.meta.url).pathname

export function verdictLine (r: ChaosResult): string {
  return r.verdict === 'pass' ? 'verdict: pass' : `verdict: fail (${r.reasons.join('; ')})`
}

const ms = (v: number | null | undefined): string => v === null || v === undefined ? '–' : `${(v / 1000).toFixed(1)} s`

export function markdown (r: ChaosResult): string {
  const o = r.options
  const q = r.queries
  return [
    `# Chaos run: ${r.scenario}`,
    '',
    `${o.zones} zones × ${o.nodesPerZone} nodes, ${o.partitions} partitions, real processes on loopback (embedded broker); load ${o.rate} spans/s from \`livestore gen\`, seed ${o.seed}; ${r.seconds.toFixed(0)} s.`,
    '',
    `**${verdictLine(r)}**`,
    '',
    '| Figure | Value | Goal |',
    '| --- | --- | --- |',
    `| Failed queries while every partition had a live owner | ${q.failed} of ${q.queries} (${q.byId} by ID, ${q.search} searches) | 0 |`,
    `| Failed queries excused (a partition had no live owner, or the node asked was killed, frozen or cut off under the query) | ${q.excused} | – |`,
    `| Acknowledged spans lost after recovery | ${r.check.lost} of ${r.check.spans} checked (${r.check.traces} traces${r.check.sampled ? `, a sample of ${r.acked.traces}` : ', all'}; ${r.acked.spans} acknowledged) | 0 |`,
    `| Spans returned twice | ${r.check.duplicated} | – |`,
    `| Slowest ring reconvergence after a heal | ${ms(r.maxReconvergeMs)} | – |`,
    `| Slowest catch-up of restarted nodes (to /ready) | ${ms(r.maxCatchUpMs)} | – |`,
    '',
    '## Faults',
    '',
    '| Fault | Window (s) | Restarted nodes ready | Ring healthy | Note |',
    '| --- | --- | --- | --- | --- |',
    ...r.windows.map((w) => `| ${w.label} | ${w.start.toFixed(1)}–${w.end.toFixed(1)} | ${ms(w.catchUpMs)} | ${ms(w.reconvergeMs)} | ${w.note ?? ''} |`),
    '',
    `![timeline](${r.scenario}-timeline.svg)`,
    '',
    'A probe asks every node the run believes up, once a second, for a trace acknowledged at least 5 s earlier (all its acknowledged spans must come back) and for a search (at least one trace). A failure counts only when every partition had a live owner at its start and end and the node asked was still up at its end. Catch-up: from the restart until every restarted node answers `/ready` (which waits for its partitions to be consumed up to the log end). Reconvergence: from the heal until every node\'s `/api/ring` shows every member and owner healthy.',
    ...(r.queryFailures.length > 0 ? ['', '## First failed queries', '', ...r.queryFailures.map((f) => `- ${f}`)] : []),
    ...(r.check.lostExamples.length + r.check.errors.length > 0 ? ['', '## Lost or unreadable', '', ...[...r.check.lostExamples, ...r.check.errors].map((f) => `- ${f}`)] : []),
    '',
    `Gen: ${r.gen}`,
    '',
  ].join('\n')
}

/** Writes the three files; returns the Markdown path. */
export function writeChaosReport (r: ChaosResult, outDir = defaultOutDir): string {
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, `${r.scenario}.json`), JSON.stringify(r, null, 1) + '\n')
  writeFileSync(join(outDir, `${r.scenario}-timeline.svg`), timelineSvg(r.scenario, r.timeline, r.windows))
  const md = join(outDir, `${r.scenario}.md`)
  writeFileSync(md, markdown(r))
  return md
}
