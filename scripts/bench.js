// `npm run bench -- <name> [args]`: runs bench/<name>.ts with tsx and the shim loaded first.
// Benchmarks print one JSON line per figure: {"bench","metric","value","unit"}.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

const root = new URL('..', import.meta.url).pathname
const [name, ...rest] = process.argv.slice(2)
const available = readdirSync(new URL('../bench', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))
if (name === undefined || !existsSync(`${root}bench/${name}.ts`)) {
  console.error(`usage: npm run bench -- <name>   (available: ${available.join(', ')})`)
  process.exit(2)
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--import', './common/promise-with-resolvers.ts', `bench/${name}.ts`, ...rest], { cwd: root, stdio: 'inherit' })
process.exit(res.status ?? 1)
