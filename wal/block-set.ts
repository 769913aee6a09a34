import type { BlockReader } from './block-reader.ts'
import type { BlockMeta } from './meta.ts'

/**
 * The readable blocks of one tenant (Tempo's `blockSnapshot`): head blocks (one per partition),
 * WAL blocks and complete blocks. Readers get an immutable snapshot; every change builds a new
 * one and swaps it in a single synchronous step, so a reader sees the set either before or after
 * a change (a completed block is never missing from both its WAL and complete forms).
 */
export type BlockKind = 'head' | 'wal' | 'complete'

/** What a block holds, for skipping it by time, and for status: the union over its segments. */
export type BlockSummary = Pick<BlockMeta,
  'blockId' | 'tenant' | 'partition' | 'startTimeUnixNano' | 'endTimeUnixNano' | 'spanStartTimeUnixNano' |
  'spanEndTimeUnixNano' | 'traceCount' | 'spanCount' | 'offsetRange' | 'createdAtMs' | 'sizeBytes'>

export interface StoredBlock {
  readonly kind: BlockKind
  readonly tenant: string
  readonly partition: number
  readonly blockId: string
  /** Head and WAL blocks: one reader per segment, in order. Complete blocks: one reader. */
  readonly readers: readonly BlockReader[]
  /** The block's meta (complete), or the union of its segments' metas (head and WAL; traceCount is then an upper bound). */
  readonly meta: BlockSummary
  /** The block's directory. */
  readonly dir: string
}

export function storedBlock (kind: BlockKind, dir: string, partition: number, readers: readonly BlockReader[]): StoredBlock {
  const first = readers[0]
  if (first === undefined) throw new Error(`a ${kind} block needs at least one segment`)
  const meta = readers.length === 1 && kind === 'complete' ? first.meta : summarize(readers.map((r) => r.meta))
  return { kind, tenant: first.meta.tenant, partition, blockId: first.meta.blockId, readers: [...readers], meta, dir }
}

function summarize (metas: readonly BlockMeta[]): BlockSummary {
  const m0 = metas[0]!
  const out: BlockSummary = {
    blockId: m0.blockId,
    tenant: m0.tenant,
    partition: m0.partition,
    startTimeUnixNano: m0.startTimeUnixNano,
    endTimeUnixNano: m0.endTimeUnixNano,
    spanStartTimeUnixNano: m0.spanStartTimeUnixNano,
    spanEndTimeUnixNano: m0.spanEndTimeUnixNano,
    traceCount: 0,
    spanCount: 0,
    offsetRange: { ...m0.offsetRange },
    createdAtMs: m0.createdAtMs,
    sizeBytes: 0,
  }
  for (const m of metas) {
    if (m.startTimeUnixNano < out.startTimeUnixNano) out.startTimeUnixNano = m.startTimeUnixNano
    if (m.endTimeUnixNano > out.endTimeUnixNano) out.endTimeUnixNano = m.endTimeUnixNano
    if (m.spanStartTimeUnixNano < out.spanStartTimeUnixNano) out.spanStartTimeUnixNano = m.spanStartTimeUnixNano
    if (m.spanEndTimeUnixNano > out.spanEndTimeUnixNano) out.spanEndTimeUnixNano = m.spanEndTimeUnixNano
    if (m.offsetRange.first < out.offsetRange.first) out.offsetRange.first = m.offsetRange.first
    if (m.offsetRange.last > out.offsetRange.last) out.offsetRange.last = m.offsetRange.last
    if (m.createdAtMs < out.createdAtMs) out.createdAtMs = m.createdAtMs
    out.traceCount += m.traceCount
    out.spanCount += m.spanCount
    out.sizeBytes += m.sizeBytes
  }
  return out
}

const KIND_ORDER: Record<BlockKind, number> = { complete: 0, wal: 1, head: 2 }

export class TenantBlocks {
  readonly #heads = new Map<number, StoredBlock>()
  readonly #wal = new Map<string, StoredBlock>()
  readonly #complete = new Map<string, StoredBlock>()
  #snapshot: readonly StoredBlock[] | null = null

  /** Every block, complete first, then WAL, then head blocks, each oldest first. */
  snapshot (): readonly StoredBlock[] {
    if (this.#snapshot === null) {
      const all = [...this.#complete.values(), ...this.#wal.values(), ...this.#heads.values()]
      all.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.meta.createdAtMs - b.meta.createdAtMs)
      this.#snapshot = Object.freeze(all)
    }
    return this.#snapshot
  }

  get size (): number { return this.#heads.size + this.#wal.size + this.#complete.size }

  head (partition: number): StoredBlock | undefined { return this.#heads.get(partition) }
  wal (blockId: string): StoredBlock | undefined { return this.#wal.get(blockId) }
  complete (blockId: string): StoredBlock | undefined { return this.#complete.get(blockId) }
  walBlocks (): StoredBlock[] { return [...this.#wal.values()] }
  completeBlocks (): StoredBlock[] { return [...this.#complete.values()] }
  counts (): { head: number, wal: number, complete: number } {
    return { head: this.#heads.size, wal: this.#wal.size, complete: this.#complete.size }
  }

  /** Applies removals then additions as one change. */
  update (change: { remove?: readonly StoredBlock[], add?: readonly StoredBlock[] }): void {
    for (const b of change.remove ?? []) this.#map(b.kind).delete(this.#key(b))
    for (const b of change.add ?? []) this.#map(b.kind).set(this.#key(b), b)
    this.#snapshot = null
  }

  #map (kind: BlockKind): Map<number | string, StoredBlock> {
    return (kind === 'head' ? this.#heads : kind === 'wal' ? this.#wal : this.#complete) as Map<number | string, StoredBlock>
  }

  #key (b: StoredBlock): number | string {
    return b.kind === 'head' ? b.partition : b.blockId
  }
}
