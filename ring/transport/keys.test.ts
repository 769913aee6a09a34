import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pino } from 'pino'
import { loadOrCreatePeerKey } from './keys.ts'

const root = await mkdtemp(join(tmpdir(), 'livestore-keys-'))
after(() => rm(root, { recursive: true, force: true }))
const logger = pino({ level: 'silent' })

describe('persisted peer key', () => {
  it('creates <dir>/peer.key (0600, in a new directory) and loads the same identity afterwards', async () => {
    const dir = join(root, 'a', 'nested')
    const first = await loadOrCreatePeerKey(dir, logger)
    assert.equal(first.created, true)
    assert.equal(first.path, join(dir, 'peer.key'))
    assert.equal((await stat(first.path)).mode & 0o777, 0o600)
    assert.equal(first.privateKey.type, 'Ed25519')
    const second = await loadOrCreatePeerKey(dir, logger)
    assert.equal(second.created, false)
    assert.ok(peerIdFromPrivateKey(second.privateKey).equals(peerIdFromPrivateKey(first.privateKey)))
  })

  it('concurrent first starts agree on one key', async () => {
    const dir = join(root, 'race')
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreatePeerKey(dir, logger)))
    const ids = new Set(keys.map((k) => peerIdFromPrivateKey(k.privateKey).toString()))
    assert.equal(ids.size, 1)
    assert.equal(keys.filter((k) => k.created).length, 1)
  })

  it('refuses a corrupt key file instead of silently changing identity', async () => {
    const dir = join(root, 'corrupt')
    const { path } = await loadOrCreatePeerKey(dir, logger)
    await writeFile(path, 'not a key')
    await assert.rejects(loadOrCreatePeerKey(dir, logger), /not a valid libp2p private key.*delete it/)
    assert.equal(await readFile(path, 'utf8'), 'not a key')
  })

  it('warns about a key readable by others, and still loads it', async () => {
    const dir = join(root, 'loose')
    const { path } = await loadOrCreatePeerKey(dir, logger)
    await chmod(path, 0o644)
    const warnings: string[] = []
    const spy = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(line) } })
    const loaded = await loadOrCreatePeerKey(dir, spy)
    assert.equal(loaded.created, false)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] ?? '', /chmod 600/)
  })
})
