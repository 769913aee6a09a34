import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir } from './fs-atomic.ts'

/**
 * Where blocks live under the WAL root (`live_store.wal.path`):
 *
 *   wal/<tenant>/<partition>/<blockId>/<NNNNNNNNNN>/   segments of a head or WAL block
 *   blocks/<tenant>/<blockId>/                         complete blocks
 *   quarantine/<ms>-<flattened original path>          damaged blocks and segments, moved aside
 *
 * Every segment and complete block is a block directory of block-writer.ts (data.parquet, bloom,
 * index, meta.json). Tenant ids are arbitrary strings, so their directory names are
 * percent-encoded, dots included: "." and ".." cannot escape, and no tenant directory can start
 * with the `.tmp-` prefix of an unfinished write.
 */
export const WAL_DIR = 'wal'
export const BLOCKS_DIR = 'blocks'
export const QUARANTINE_DIR = 'quarantine'

/** Segment directory names: 10 digits, from 0000000001 (Tempo's WAL page files). */
export const SEGMENT_NAME = /^\d{10}$/
export const PARTITION_NAME = /^(0|[1-9]\d{0,9})$/

export function segmentName (seq: number): string {
  return String(seq).padStart(10, '0')
}

export function tenantDirName (tenant: string): string {
  return encodeURIComponent(tenant).replace(/[.!~*'()]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

/** The tenant a directory name stands for, or null when it is not one tenantDirName writes. */
export function tenantFromDirName (name: string): string | null {
  try {
    const tenant = decodeURIComponent(name)
    return tenant !== '' && tenantDirName(tenant) === name ? tenant : null
  } catch {
    return null
  }
}

export function walBlockPath (root: string, tenant: string, partition: number, blockId: string): string {
  return join(root, WAL_DIR, tenantDirName(tenant), String(partition), blockId)
}

export function completeParentPath (root: string, tenant: string): string {
  return join(root, BLOCKS_DIR, tenantDirName(tenant))
}

/**
 * Creates `root/parts[0]/parts[1]/…` one level at a time, fsyncing the parent of every level it
 * creates, so a directory that holds durable data is itself durable (its entry is on disk).
 */
export async function mkdirDurable (root: string, ...parts: string[]): Promise<string> {
  let cur = root
  for (const part of parts) {
    const next = join(cur, part)
    const created = await mkdir(next).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false
      throw err
    })
    if (created) await fsyncDir(cur)
    cur = next
  }
  return cur
}
