/**
 * Opening a partition directory: finds the segments, trusts their indexes after a clean
 * shutdown, and otherwise recovers the tail. A SIGKILL or power loss during a write leaves a
 * partial batch at the end of the last segment; that (and anything after the first corrupt
 * batch) is cut off so the log ends on a whole, checksummed batch.
 */
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../common/logger.ts'
import { CorruptDataError } from './errors.ts'
import { Segment } from './segment.ts'

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/

export interface LoadOptions {
  dir: string
  indexIntervalBytes: number
  /** Whether the previous process closed the log cleanly (its marker was present). */
  clean: boolean
  logger: Logger
}

/** The partition's segments in offset order, the last one active; never empty. */
export function loadSegments ({ dir, indexIntervalBytes, clean, logger }: LoadOptions): Segment[] {
  mkdirSync(dir, { recursive: true })
  const logs: bigint[] = []
  const others: { base: bigint, name: string }[] = []
  for (const name of readdirSync(dir)) {
    const m = SEGMENT_FILE.exec(name)
    if (m === null) {
      // Leftovers of an interrupted rename or delete.
      if (name.endsWith('.tmp') || name.endsWith('.deleted')) unlinkSync(join(dir, name))
      continue
    }
    if (m[2] === 'log') logs.push(BigInt(m[1] as string))
    else others.push({ base: BigInt(m[1] as string), name })
  }
  logs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  // Index files whose log is gone (a delete interrupted half-way) would confuse a later roll.
  const known = new Set(logs)
  for (const o of others) {
    if (!known.has(o.base)) unlinkSync(join(dir, o.name))
  }

  const segments = logs.map((base) => Segment.open(dir, base, indexIntervalBytes))
  // After an unclean stop the last non-empty segment and anything after it may hold a torn tail.
  let scanFrom = segments.length - 1
  while (scanFrom > 0 && (segments[scanFrom] as Segment).size === 0) scanFrom--
  segments.forEach((seg, i) => {
    let reason: string | null
    if (!clean && i >= scanFrom) {
      reason = 'unclean shutdown'
    } else {
      reason = seg.loadIndexes()
      if (reason === null) reason = seg.scanTail()?.reason ?? null
      if (reason !== null) logger.warn({ segment: seg.logPath, reason }, 'segment index invalid, rebuilding')
    }
    if (reason === null) return
    const sizeBefore = seg.size
    const { truncatedBytes, problem } = seg.recover()
    if (truncatedBytes > 0 && problem !== null) {
      logger.warn({
        segment: seg.logPath,
        truncatedBytes,
        validBytes: seg.size,
        sizeBefore,
        problem: problem.kind,
        reason: problem.reason,
        firstLostOffset: seg.nextOffset.toString(),
        lostBatchLastOffset: problem.header === null ? null : (problem.header.baseOffset + BigInt(problem.header.lastOffsetDelta)).toString(),
      }, 'truncated torn or corrupt log tail')
    }
  })

  const kept: Segment[] = []
  segments.forEach((seg, i) => {
    // An empty segment holds nothing (a roll that never got data, or a tail recovery cut to
    // zero); dropping it keeps offsets contiguous: the next roll recreates it where it belongs.
    if (seg.size === 0 && (i < segments.length - 1 || kept.length > 0)) {
      seg.close()
      seg.deleteFiles()
      logger.info({ segment: seg.logPath }, 'removed empty segment')
      return
    }
    const prev = kept[kept.length - 1]
    if (prev !== undefined) {
      if (seg.baseOffset < prev.nextOffset) {
        for (const s of segments) s.close()
        throw new CorruptDataError(`${seg.logPath} starts at ${seg.baseOffset} but the previous segment ends at ${prev.nextOffset - 1n}`)
      }
      if (seg.baseOffset > prev.nextOffset) {
        // Offsets in the gap were lost (a truncated middle segment); readers skip to the next batch.
        logger.warn({ segment: seg.logPath, gapFrom: prev.nextOffset.toString(), gapTo: (seg.baseOffset - 1n).toString() }, 'offset gap between segments')
      }
    }
    kept.push(seg)
  })
  if (kept.length === 0) kept.push(Segment.create(dir, 0n, indexIntervalBytes))
  const active = kept[kept.length - 1] as Segment
  active.activate()
  return kept
}
