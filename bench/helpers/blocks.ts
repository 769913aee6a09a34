import { randomUUID } from 'node:crypto'
import type { TracesData } from '../../common/otlp/model.ts'
import { writeBlock } from '../../wal/index.ts'
import type { BlockMeta } from '../../wal/index.ts'

/**
 * Complete blocks of realistic traces for read benchmarks, written straight into a directory
 * (e.g. a node's `<wal>/blocks/<tenant>/`, wal/layout.ts). One pool of traces is re-stamped per
 * block (`round` in bytes 4..7 of every trace id and link trace id), so each block holds distinct
 * traces without paying for generation again.
 */
export function stampTraceIds (d: TracesData, round: number): void {
  for (const rs of d.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
    s.traceId.writeUInt32BE(round, 4)
    for (const l of s.links) l.traceId.writeUInt32BE(round, 4)
  }
}

export function countSpans (d: TracesData): number {
  let n = 0
  for (const rs of d.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length
  return n
}

export interface WrittenBlock { meta: BlockMeta, round: number }

/** Writes `blocks` blocks of `data` (stamped 1..blocks) into `dir`, partitions round-robin. */
export async function writeStampedBlocks (o: { dir: string, tenant: string, data: TracesData, blocks: number, partitions?: number }): Promise<WrittenBlock[]> {
  const clock = { now: () => Date.now() }
  const out: WrittenBlock[] = []
  for (let b = 0; b < o.blocks; b++) {
    stampTraceIds(o.data, b + 1)
    const meta = await writeBlock({ dir: o.dir, tenant: o.tenant, partition: b % (o.partitions ?? 1), blockId: randomUUID(), traces: [o.data], offsetRange: { first: 0n, last: 0n }, clock })
    out.push({ meta, round: b + 1 })
  }
  return out
}
