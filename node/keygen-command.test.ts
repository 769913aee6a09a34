import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { tempDir } from '../test/helpers/broker.ts'
import { InvalidArgumentError } from '../common/errors.ts'
import { parseClusterKey } from '../ring/transport/psk.ts'
import { runKeygenCommand } from './keygen-command.ts'

describe('livestore keygen', () => {
  const dir = tempDir('livestore-keygen-')
  after(() => dir.remove())

  it('writes a parseable key with mode 0600 and leaves no temporary file', async () => {
    const file = join(dir.path, 'cluster.key')
    await runKeygenCommand({ out: file })
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.equal(parseClusterKey(readFileSync(file)).byteLength, 32)
    assert.deepEqual(readdirSync(dir.path), ['cluster.key'])
  })

  it('refuses to overwrite an existing file, and replaces it (0600 again) with force', async () => {
    const file = join(dir.path, 'existing.key')
    writeFileSync(file, 'keep me\n', { mode: 0o644 })
    await assert.rejects(runKeygenCommand({ out: file }), (err: unknown) => err instanceof InvalidArgumentError && /already exists; use --force/.test(err.message))
    assert.equal(readFileSync(file, 'utf8'), 'keep me\n')
    await runKeygenCommand({ out: file, force: true })
    assert.equal(statSync(file).mode & 0o777, 0o600)
    parseClusterKey(readFileSync(file))
    assert.deepEqual(readdirSync(dir.path).filter((n) => n.endsWith('.tmp')), [])
  })

  it('prints the key without --out, a different one each time', async () => {
    const out: string[] = []
    const stdout = { write: (s: string) => out.push(s) }
    await runKeygenCommand({}, stdout)
    await runKeygenCommand({}, stdout)
    assert.equal(out.length, 2)
    for (const text of out) assert.equal(parseClusterKey(text).byteLength, 32)
    assert.notEqual(out[0], out[1])
  })
})
