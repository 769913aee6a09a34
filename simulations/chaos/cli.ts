import { parseArgs } from 'node:util'
import { verdictLine, writeChaosReport } from './report.ts'
import { defaultOptions, runChaos } from './run.ts'

/**
 * `npm run chaos -- [--zones 3] [--nodes-per-zone 2] [--partitions 3] [--duration-s 60] [--rate 200]
 * [--seed 7] [--short] [--out DIR] [--keep-logs]`: the chaos run on real processes (simulations/chaos/run.ts);
 * prints the verdict line and exits 1 on fail.
 */
const { values } = parseArgs({
  options: {
    zones: { type: 'string' },
    'nodes-per-zone': { type: 'string' },
    partitions: { type: 'string' },
    'duration-s': { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string' },
    short: { type: 'boolean', default: false },
    out: { type: 'string' },
    'keep-logs': { type: 'boolean', default: false },
  },
})
if (process.platform !== 'linux') {
  process.stderr.write('chaos: needs Linux (/proc, to restart nodes with their own command lines)\n')
  process.exit(2)
}
const d = defaultOptions(values.short === true)
const num = (v: string | undefined, fallback: number): number => v === undefined ? fallback : Number(v)
const result = await runChaos({
  ...d,
  zones: num(values.zones, d.zones),
  nodesPerZone: num(values['nodes-per-zone'], d.nodesPerZone),
  partitions: num(values.partitions, d.partitions),
  durationS: num(values['duration-s'], d.durationS),
  rate: num(values.rate, d.rate),
  seed: num(values.seed, d.seed),
  keepLogs: values['keep-logs'] === true,
  log: (line) => process.stdout.write(`${line}\n`),
})
const md = writeChaosReport(result, values.out)
const cut = result.windows.some((w) => w.kind === 'net-cut' && w.note?.startsWith('skipped') === true) ? 'network cut: skipped (no network namespaces: needs root and iproute2)\n' : ''
process.stdout.write(`${cut}report: ${md}\n${verdictLine(result)}\n`)
process.exit(result.verdict === 'pass' ? 0 : 1)
