import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { decodeMeta, META_FILE } from '../../wal/index.ts'
import { BLOCKS_DIR, WAL_DIR } from '../../wal/layout.ts'

/** What a WAL root (`live_store.wal.path`) holds on disk, from the meta.json files. */
export interface WalDiskCount {
  /** Spans in the WAL: complete blocks plus the segments of WAL/head blocks not completed yet. */
  spans: number
  completeBlocks: number
  completeSpans: number
  walBlocks: number
  segments: number
  segmentSpans: number
  bytes: number
}

function subdirs (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.tmp-')).map((e) => e.name)
}

function meta (dir: string): { spanCount: number, sizeBytes: number } | null {
  const path = join(dir, META_FILE)
  return existsSync(path) ? decodeMeta(readFileSync(path, 'utf8'), path) : null
}

/**
 * Counts the spans under `<root>/blocks/<tenant>/<id>` and `<root>/wal/<tenant>/<p>/<id>/<seg>`
 * (wal/layout.ts). A WAL block whose complete block exists is counted once, as the complete block
 * (completion keeps every span of its segments; duplicates only come from replays).
 */
export function countWalOnDisk (root: string): WalDiskCount {
  const c: WalDiskCount = { spans: 0, completeBlocks: 0, completeSpans: 0, walBlocks: 0, segments: 0, segmentSpans: 0, bytes: 0 }
  const completed = new Set<string>()
  for (const tenant of subdirs(join(root, BLOCKS_DIR))) {
    for (const id of subdirs(join(root, BLOCKS_DIR, tenant))) {
      const m = meta(join(root, BLOCKS_DIR, tenant, id))
      if (m === null) continue
      completed.add(`${tenant}/${id}`)
      c.completeBlocks++
      c.completeSpans += m.spanCount
      c.bytes += m.sizeBytes
    }
  }
  for (const tenant of subdirs(join(root, WAL_DIR))) {
    for (const p of subdirs(join(root, WAL_DIR, tenant))) {
      for (const id of subdirs(join(root, WAL_DIR, tenant, p))) {
        if (completed.has(`${tenant}/${id}`)) continue
        c.walBlocks++
        for (const seg of subdirs(join(root, WAL_DIR, tenant, p, id))) {
          const m = meta(join(root, WAL_DIR, tenant, p, id, seg))
          if (m === null) continue
          c.segments++
          c.segmentSpans += m.spanCount
          c.bytes += m.sizeBytes
        }
      }
    }
  }
  c.spans = c.completeSpans + c.segmentSpans
  return c
}
