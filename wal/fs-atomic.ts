import { mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Crash-safe directory publication: the files are written into `<parent>/.tmp-<name>`, each
 * fsynced, then the temp directory is fsynced, renamed to `<parent>/<name>` and the parent
 * fsynced. rename(2) is atomic, so after a crash `<name>` is either absent or complete; a
 * leftover `.tmp-*` directory is garbage (removeIncompleteBlocks).
 */
export const TEMP_PREFIX = '.tmp-'

export interface FileToWrite { name: string, data: Uint8Array | string }

export async function fsyncDir (path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

async function writeSynced (path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'wx')
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Publishes `files` as the directory `<parent>/<name>`; fails if it already exists. */
export async function writeDirAtomically (parent: string, name: string, files: readonly FileToWrite[]): Promise<string> {
  const tmp = join(parent, TEMP_PREFIX + name)
  const final = join(parent, name)
  await mkdir(parent, { recursive: true })
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp)
  try {
    for (const f of files) await writeSynced(join(tmp, f.name), f.data)
    await fsyncDir(tmp)
    // rename(2) replaces an empty directory silently: refuse any existing target instead.
    const existing = await readdir(final).then(() => true, (err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return false; throw err })
    if (existing) throw Object.assign(new Error(`block directory already exists: ${final}`), { code: 'EEXIST' })
    await rename(tmp, final)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
  await fsyncDir(parent)
  return final
}

/** Deletes the `.tmp-*` directories a crash left in `parent`; returns their names. */
export async function removeIncompleteBlocks (parent: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(parent)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const removed = names.filter((n) => n.startsWith(TEMP_PREFIX))
  for (const n of removed) await rm(join(parent, n), { recursive: true, force: true })
  return removed
}
