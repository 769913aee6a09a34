// Runs the whole suite with Node's built-in test runner. Node 20's `--test` does not expand globs
// or find .ts files, so this script lists `**/*.test.ts` (or the paths given) and hands them over,
// with tsx and the Promise.withResolvers shim loaded first in every test process.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const skip = new Set(['node_modules', '.git', 'data', '.ci'])

function find (dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) find(p, out)
    else if (name.endsWith('.test.ts')) out.push(relative(root, p))
  }
  return out
}

const args = process.argv.slice(2)
const files = (args.length > 0 ? args.flatMap((a) => statSync(a).isDirectory() ? find(join(root, a), []) : [a]) : find(root, [])).sort()
const res = spawnSync(process.execPath, [
  '--import', 'tsx', '--import', './common/promise-with-resolvers.ts',
  '--test', '--test-reporter=spec', ...files,
], { cwd: root, stdio: 'inherit' })
process.exit(res.status ?? 1)
