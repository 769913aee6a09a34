/**
 * `livestore keygen`: a new cluster pre-shared key (ring/transport/psk.ts format) for
 * `memberlist.key_file`. The key is a secret, so the file is created readable by its owner only
 * (0600) and is never half-written or briefly world-readable: it is written to a temporary file
 * with that mode first, then linked to its name (fails if the name exists: no silent overwrite) or,
 * with `--force`, renamed over it.
 */
import { randomBytes } from 'node:crypto'
import { chmod, link, rename, unlink, writeFile } from 'node:fs/promises'
import { InvalidArgumentError } from '../common/errors.ts'
import { formatClusterKey, generateClusterKey } from '../ring/transport/psk.ts'

export interface KeygenOptions {
  out?: string
  force?: boolean
}

/** Writes `contents` to `path` with mode 0600; refuses an existing `path` unless `force`. */
export async function writeSecretFile (path: string, contents: string, force = false): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, contents, { mode: 0o600, flag: 'wx' })
  try {
    await chmod(tmp, 0o600) // the umask may have narrowed the mode; make it exact
    if (force) await rename(tmp, path)
    else await link(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InvalidArgumentError(`${path} already exists; use --force to replace it`)
    throw err
  } finally {
    await unlink(tmp).catch(() => undefined) // gone already after a rename
  }
}

/** `livestore keygen [--out FILE] [--force]`: the key to FILE (0600), or to `stdout`. */
export async function runKeygenCommand (o: KeygenOptions, stdout: { write: (s: string) => unknown } = process.stdout): Promise<void> {
  const text = formatClusterKey(generateClusterKey())
  if (o.out === undefined) {
    if (o.force === true) throw new InvalidArgumentError('--force only applies with --out')
    stdout.write(text)
    return
  }
  await writeSecretFile(o.out, text, o.force === true)
}
