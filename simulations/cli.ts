/**
 * `npm run sim` (scripts/sim.js runs this file with tsx):
 *
 *   npm run sim                                   every scenario at its default size, seed 1
 *   npm run sim -- zone-loss --nodes 1000 --seed 42
 *   npm run sim -- zone-loss partition-heal --seed random
 *   npm run sim -- --list
 *
 * Options: `--nodes N` (every selected scenario at N nodes), `--seed S` (a number, or `random`),
 * `--out DIR` (default simulations/out), `--no-write` (no files). stdout carries only what the
 * seed determines (so two runs of one seed print identical bytes), ending with the verdict line;
 * wall-clock figures go to stderr. Exit status 1 when any scenario fails.
 */
import { randomInt } from 'node:crypto'
import { parseArgs } from 'node:util'
import { defaultOutDir, replayCommand, verdictLine, writeIndex, writeRun } from './report.ts'
import { runScenario } from './run.ts'
import type { RunResult } from './run.ts'
import { scenarios } from './scenarios/index.ts'

const out = (line: string): void => { process.stdout.write(line + '\n') }
const err = (line: string): void => { process.stderr.write(line + '\n') }

function usage (): string {
  return `usage: npm run sim -- [scenario ...] [--nodes N] [--seed S|random] [--out DIR] [--no-write] [--list]\nscenarios: ${scenarios.map((s) => s.name).join(', ')}`
}

async function main (): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: defaultOutDir },
      'no-write': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) { out(usage()); return 0 }
  if (values.list) {
    for (const s of scenarios) out(`${s.name.padEnd(24)} ${String(s.defaultNodes).padStart(4)} nodes  ${s.title}`)
    return 0
  }
  const unknown = positionals.filter((p) => !scenarios.some((s) => s.name === p))
  if (unknown.length > 0) { err(`unknown scenario(s): ${unknown.join(', ')}\n${usage()}`); return 2 }
  const seed = values.seed === 'random' ? randomInt(2 ** 31) : Number(values.seed)
  const nodes = values.nodes === undefined ? undefined : Number(values.nodes)
  if (!Number.isSafeInteger(seed) || seed < 0) { err(`--seed must be a non-negative integer or "random", got ${values.seed}`); return 2 }
  if (nodes !== undefined && (!Number.isSafeInteger(nodes) || nodes < 1)) { err(`--nodes must be a positive integer, got ${values.nodes}`); return 2 }
  const selected = positionals.length === 0 ? scenarios : scenarios.filter((s) => positionals.includes(s.name))
  if (nodes !== undefined && nodes > 300 && selected.some((s) => s.name !== 'scale')) {
    err(`note: every node runs the full ring stack; at ${nodes} nodes each delivered delta costs the ring about 1 ms of CPU (npm run bench -- sim-scale), so expect hours (the scale scenario switches to gossip only above 200 nodes)`)
  }
  const results: RunResult[] = []
  for (const scenario of selected) {
    const progress = (ms: number, events: number): void => err(`${scenario.name}: ${(ms / 1000).toFixed(1)} s simulated, ${events} events so far`)
    const { result, wallMs } = await runScenario(scenario, { seed, progress, ...(nodes === undefined ? {} : { nodes }) })
    results.push(result)
    out(`${scenario.name.padEnd(24)} nodes ${String(result.nodes).padStart(4)}  seed ${seed}  ${(result.simulatedMs / 1000).toFixed(1).padStart(6)} s simulated  ${verdictLine(result)}`)
    const figures = Object.entries(result.metrics).map(([k, v]) => `${k}=${v === null ? '-' : String(v)}`).join(' ')
    if (figures !== '') out(`  ${figures}`)
    if (result.verdict === 'fail') out(`  replay: ${replayCommand(result)}`)
    const where = values['no-write'] ? '' : `, report ${writeRun(result, values.out)}`
    err(`${scenario.name}: ${(wallMs / 1000).toFixed(1)} s wall, ${(result.simulatedMs / Math.max(1, wallMs)).toFixed(2)} simulated s per wall s, ${result.events} events${where}`)
  }
  if (!values['no-write'] && selected.length > 1) err(`suite report: ${writeIndex(results, values.out)}`)
  const failed = results.filter((r) => r.verdict === 'fail')
  if (selected.length > 1) out(`suite: ${results.length} scenarios, ${results.length - failed.length} pass, ${failed.length} fail`)
  out(failed.length === 0 ? 'verdict: pass' : `verdict: fail (${failed.map((r) => r.scenario).join(', ')})`)
  return failed.length === 0 ? 0 : 1
}

process.exitCode = await main()
