// `npm run chaos -- [--zones 3] [--nodes-per-zone 2] [--partitions 3] [--duration-s N] [--short]`: the chaos run on real processes
// (simulations/chaos/cli.ts) with tsx and the shim loaded first, like scripts/bench.js.
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const res = spawnSync(process.execPath, ['--import', 'tsx', '--import', './common/promise-with-resolvers.ts', 'simulations/chaos/cli.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
process.exit(res.status ?? 1)
