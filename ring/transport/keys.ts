/**
 * The node's libp2p identity: an Ed25519 key persisted as `<dir>/peer.key` (libp2p's protobuf
 * encoding, 68 bytes, mode 0600), so the peer id survives restarts (measurements.md pitfall 5:
 * without it every restart is a new peer and the ring's owner entries would change hands).
 *
 * Creation is atomic and race-free: the key is written to a temporary file, then hard-linked to
 * its final name (which fails if another process got there first; we then read the winner's).
 * A file that cannot be parsed is an error, never silently replaced: replacing it would give the
 * node a new identity behind the operator's back.
 */
import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InvalidArgumentError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'

export const peerKeyFile = 'peer.key'

export interface PeerKey {
  privateKey: PrivateKey
  /** True when this call created the key (a new identity). */
  created: boolean
  path: string
}

/** Loads `<dir>/peer.key`, creating the directory and an Ed25519 key (0600) when absent. */
export async function loadOrCreatePeerKey (dir: string, logger?: Logger): Promise<PeerKey> {
  const path = join(dir, peerKeyFile)
  const existing = await readKey(path, logger)
  if (existing !== undefined) return { privateKey: existing, created: false, path }

  await mkdir(dir, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  try {
    await chmod(tmp, 0o600) // the umask may have narrowed it further, never widened; make it exact
    await link(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const winner = await readKey(path, logger)
    if (winner === undefined) throw err
    return { privateKey: winner, created: false, path }
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
  logger?.info({ path, peerId: peerIdFromPrivateKey(key).toString() }, 'created a new peer key')
  return { privateKey: key, created: true, path }
}

async function readKey (path: string, logger?: Logger): Promise<PrivateKey | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new InvalidArgumentError(`peer key ${path} is not a valid libp2p private key; restore it, or delete it to start this node under a new peer id`, { cause: err })
  }
  const { mode } = await stat(path)
  if ((mode & 0o077) !== 0) logger?.warn({ path, mode: (mode & 0o777).toString(8) }, 'peer key is readable by other users; chmod 600 it')
  return key
}
