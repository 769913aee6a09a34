import { readdir, rm } from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../common/logger.ts'
import { openBlock } from './block-reader.ts'
import type { BlockReader } from './block-reader.ts'
import { CorruptBlockError } from './errors.ts'
import { removeIncompleteBlocks } from './fs-atomic.ts'
import { BLOCKS_DIR, PARTITION_NAME, SEGMENT_NAME, WAL_DIR, tenantFromDirName } from './layout.ts'
import type { BlockType } from './metrics.ts'

/**
 * Startup reload of the blocks on disk (Tempo's `reloadBlocks`, tempo-behaviour.md §2.8):
 *
 * 1. `blocks/<tenant>/<id>`: every complete block is opened; a damaged one (missing or garbage
 *    meta.json, truncated or missing files, a meta.json naming another tenant or id) is moved to
 *    the quarantine. Unfinished writes (`.tmp-*`) are deleted.
 * 2. `wal/<tenant>/<partition>/<id>`: a WAL block whose id is also a complete block of the tenant
 *    was completed before a crash and is deleted. Otherwise each segment is opened, damaged
 *    segments are quarantined one by one, and the block keeps the rest; a block left with no
 *    segment is deleted. Every WAL block (the head before the crash included) is returned to be
 *    queued for completion.
 *
 * Errors other than damage (permissions, I/O) fail the load, after closing what it opened.
 */
export interface LoadedComplete { tenant: string, partition: number, blockId: string, dir: string, reader: BlockReader }
export interface LoadedWal { tenant: string, partition: number, blockId: string, dir: string, readers: BlockReader[] }

export interface LoadedBlocks {
  complete: LoadedComplete[]
  wal: LoadedWal[]
  quarantined: number
}

export interface LoadDeps {
  root: string
  logger: Logger
  /** Moves a damaged block or segment away (quarantine.ts) and counts it. */
  quarantine: (path: string, reason: string, type: BlockType) => Promise<void>
}

export async function loadBlocks (deps: LoadDeps): Promise<LoadedBlocks> {
  const out: LoadedBlocks = { complete: [], wal: [], quarantined: 0 }
  try {
    await loadComplete(deps, out)
    await loadWal(deps, out)
    return out
  } catch (err) {
    for (const b of out.complete) await b.reader.close().catch(() => undefined)
    for (const b of out.wal) for (const r of b.readers) await r.close().catch(() => undefined)
    throw err
  }
}

async function loadComplete (deps: LoadDeps, out: LoadedBlocks): Promise<void> {
  for (const { tenant, dir: tenantDir } of await tenantDirs(deps, join(deps.root, BLOCKS_DIR))) {
    await removeLeftovers(deps, tenantDir)
    for (const entry of await dirs(tenantDir)) {
      const dir = join(tenantDir, entry)
      const reader = await openChecked(deps, out, dir, 'complete', { tenant, blockId: entry })
      if (reader !== null) out.complete.push({ tenant, partition: reader.meta.partition, blockId: entry, dir, reader })
    }
  }
}

async function loadWal (deps: LoadDeps, out: LoadedBlocks): Promise<void> {
  const completed = new Set(out.complete.map((b) => `${b.tenant}\0${b.blockId}`))
  for (const { tenant, dir: tenantDir } of await tenantDirs(deps, join(deps.root, WAL_DIR))) {
    for (const p of await dirs(tenantDir)) {
      if (!PARTITION_NAME.test(p)) {
        deps.logger.warn({ path: join(tenantDir, p) }, 'ignoring a directory that is not a partition in the WAL')
        continue
      }
      const partition = Number(p)
      const partitionDir = join(tenantDir, p)
      await removeLeftovers(deps, partitionDir)
      for (const blockId of await dirs(partitionDir)) {
        const dir = join(partitionDir, blockId)
        if (completed.has(`${tenant}\0${blockId}`)) {
          deps.logger.info({ path: dir, tenant, blockId }, 'deleting a WAL block completed before the last stop')
          await rm(dir, { recursive: true, force: true })
          continue
        }
        const readers = await loadSegments(deps, out, dir, { tenant, partition, blockId })
        if (readers.length === 0) {
          deps.logger.info({ path: dir, tenant, blockId }, 'deleting an empty WAL block')
          await rm(dir, { recursive: true, force: true })
          continue
        }
        out.wal.push({ tenant, partition, blockId, dir, readers })
      }
    }
  }
}

async function loadSegments (deps: LoadDeps, out: LoadedBlocks, dir: string, want: Expected): Promise<BlockReader[]> {
  await removeLeftovers(deps, dir)
  const readers: BlockReader[] = []
  try {
    for (const name of (await dirs(dir)).sort()) {
      if (!SEGMENT_NAME.test(name)) {
        deps.logger.warn({ path: join(dir, name) }, 'ignoring a directory that is not a segment in a WAL block')
        continue
      }
      const reader = await openChecked(deps, out, join(dir, name), 'wal', want)
      if (reader !== null) readers.push(reader)
    }
    return readers
  } catch (err) {
    for (const r of readers) await r.close().catch(() => undefined)
    throw err
  }
}

interface Expected { tenant: string, blockId: string, partition?: number }

/** Opens a block, checking its meta names the place it sits in; damage quarantines it (null). */
async function openChecked (deps: LoadDeps, out: LoadedBlocks, path: string, type: BlockType, want: Expected): Promise<BlockReader | null> {
  let reader: BlockReader | undefined
  try {
    reader = await openBlock(path)
    const m = reader.meta
    const metaPath = join(path, 'meta.json')
    if (m.tenant !== want.tenant) throw new CorruptBlockError(metaPath, `tenant ${JSON.stringify(m.tenant)} does not match its directory (${JSON.stringify(want.tenant)})`)
    if (m.blockId !== want.blockId) throw new CorruptBlockError(metaPath, `block id ${m.blockId} does not match its directory (${want.blockId})`)
    if (want.partition !== undefined && m.partition !== want.partition) throw new CorruptBlockError(metaPath, `partition ${m.partition} does not match its directory (${want.partition})`)
    return reader
  } catch (err) {
    await reader?.close()
    if (!(err instanceof CorruptBlockError)) throw err
    await deps.quarantine(path, err.message, type)
    out.quarantined++
    return null
  }
}

async function tenantDirs (deps: LoadDeps, parent: string): Promise<{ tenant: string, dir: string }[]> {
  await removeLeftovers(deps, parent)
  const out: { tenant: string, dir: string }[] = []
  for (const name of await dirs(parent)) {
    const tenant = tenantFromDirName(name)
    if (tenant === null) deps.logger.warn({ path: join(parent, name) }, 'ignoring a directory that is not a tenant\'s')
    else out.push({ tenant, dir: join(parent, name) })
  }
  return out
}

/** Sub-directory names (files are ignored); none when the directory does not exist. */
async function dirs (parent: string): Promise<string[]> {
  let entries: Dirent[]
  try {
    entries = await readdir(parent, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return entries.filter((e) => e.isDirectory()).map((e) => e.name)
}

async function removeLeftovers (deps: LoadDeps, parent: string): Promise<void> {
  const removed = await removeIncompleteBlocks(parent)
  if (removed.length > 0) deps.logger.info({ path: parent, removed }, 'removed unfinished block writes')
}
