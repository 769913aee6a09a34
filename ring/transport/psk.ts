/**
 * The cluster pre-shared key (DESIGN.md "Security model"): libp2p's private-network key file,
 *
 *   /key/swarm/psk/1.0.0/
 *   /base16/
 *   <64 hex digits>
 *
 * A host without the same 32 bytes cannot complete a connection. Parse and format live here so
 * the node's config (`cluster.key_file`) and `livestore keygen` share one definition, and so a
 * malformed file is reported clearly (without ever echoing key material) instead of failing deep
 * inside @libp2p/pnet.
 */
import { randomBytes } from 'node:crypto'
import { InvalidArgumentError } from '../../common/errors.ts'

export const clusterKeyBytes = 32
const header = '/key/swarm/psk/1.0.0/'
const codec = '/base16/'

/** A cluster key file that does not follow the format above. */
export class ClusterKeyError extends InvalidArgumentError {}

/** Parses a key file's contents (text or bytes) into the raw 32-byte key. */
export function parseClusterKey (contents: string | Uint8Array): Uint8Array {
  const text = typeof contents === 'string' ? contents : new TextDecoder('utf-8', { fatal: false }).decode(contents)
  const lines = text.split(/\r?\n/).map((l) => l.trim())
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  if (lines.length !== 3) throw new ClusterKeyError(`cluster key: expected 3 lines (${header}, ${codec}, 64 hex digits), got ${lines.length}`)
  if (lines[0] !== header) throw new ClusterKeyError(`cluster key: first line must be ${header}`)
  if (lines[1] !== codec) throw new ClusterKeyError(`cluster key: second line must be ${codec} (the only supported encoding)`)
  const hex = lines[2] as string
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new ClusterKeyError(`cluster key: third line must be exactly 64 hex digits (got ${hex.length} characters)`)
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** Formats a raw 32-byte key as a key file (lower-case hex, trailing newline). */
export function formatClusterKey (key: Uint8Array): string {
  if (key.byteLength !== clusterKeyBytes) throw new ClusterKeyError(`cluster key: must be ${clusterKeyBytes} bytes, got ${key.byteLength}`)
  return `${header}\n${codec}\n${Buffer.from(key).toString('hex')}\n`
}

/**
 * A fresh random key (for `livestore keygen`: write `formatClusterKey(generateClusterKey())` to a
 * file readable only by the node's user). Uses the operating system's CSPRNG on purpose: a key is
 * a secret, not simulation randomness, so it never comes from the injected seeded `Random`.
 */
export function generateClusterKey (): Uint8Array {
  return Uint8Array.from(randomBytes(clusterKeyBytes))
}

/** The bytes @libp2p/pnet's `preSharedKey({ psk })` expects. */
export function pnetKeyFile (key: Uint8Array): Uint8Array {
  return new TextEncoder().encode(formatClusterKey(key))
}
