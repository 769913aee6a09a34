import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { parseClusterKey } from '../../ring/transport/psk.ts'
import { repoRoot, tempDir } from '../helpers/broker.ts'

const bin = join(repoRoot, 'bin/livestore.js')

describe('livestore keygen (command line)', () => {
  const dir = tempDir('livestore-keygen-cli-')
  after(() => dir.remove())

  it('writes a 0600 key file, refuses to overwrite it without --force, prints one without --out', () => {
    const file = join(dir.path, 'cluster.key')
    const first = spawnSync(process.execPath, [bin, 'keygen', '--out', file], { encoding: 'utf8' })
    assert.equal(first.status, 0, first.stderr)
    assert.equal(first.stdout, '')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const key = readFileSync(file, 'utf8')
    assert.equal(parseClusterKey(key).byteLength, 32)

    const again = spawnSync(process.execPath, [bin, 'keygen', '--out', file], { encoding: 'utf8' })
    assert.equal(again.status, 1)
    assert.match(again.stderr, /already exists; use --force to replace it/)
    assert.equal(readFileSync(file, 'utf8'), key)

    const forced = spawnSync(process.execPath, [bin, 'keygen', '--out', file, '--force'], { encoding: 'utf8' })
    assert.equal(forced.status, 0, forced.stderr)
    assert.notEqual(readFileSync(file, 'utf8'), key)
    assert.equal(statSync(file).mode & 0o777, 0o600)

    const printed = spawnSync(process.execPath, [bin, 'keygen'], { encoding: 'utf8' })
    assert.equal(printed.status, 0, printed.stderr)
    assert.equal(parseClusterKey(printed.stdout).byteLength, 32)
  })
})
