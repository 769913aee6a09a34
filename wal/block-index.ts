/**
 * The block's `index` file: where each trace's rows are, so a lookup reads only the pages that
 * can hold it. Rows are sorted by trace id, so two small tables suffice:
 *
 * - row groups: first row, row count, min/max trace id and min start / max end time, for
 *   choosing row groups by trace id or time without reading the Parquet footer's statistics;
 * - anchors: the trace id and first row of every `anchorEvery`-th trace; a trace that is in the
 *   block lies between the last anchor ≤ its id and the next anchor, i.e. within at most
 *   `anchorEvery` traces' rows.
 *
 * File layout (little-endian):
 *   0  'LSIX' magic, 4 u8 version (1), 5..7 reserved
 *   8  u32 row group count G, 12 u32 anchor count A, 16 u32 anchorEvery, 20 u32 reserved
 *   24 G × 56 bytes: u32 firstRow, u32 rowCount, 16 min trace id, 16 max trace id,
 *                    u64 min start (ns), u64 max end (ns)
 *   .. A × 20 bytes: 16 trace id, u32 first row
 */
const MAGIC = 0x5849534c // 'LSIX' read as u32 LE
const HEADER = 24
const GROUP = 56
const ANCHOR = 20
export const TRACE_ID_BYTES = 16

export interface RowGroupEntry {
  firstRow: number
  rowCount: number
  minTraceId: Buffer
  maxTraceId: Buffer
  minStartUnixNano: bigint
  maxEndUnixNano: bigint
}

export interface TraceAnchor { traceId: Buffer, firstRow: number }

export interface BlockIndex {
  rowGroups: RowGroupEntry[]
  anchors: TraceAnchor[]
  anchorEvery: number
}

export function encodeIndex (index: BlockIndex): Buffer {
  const out = Buffer.alloc(HEADER + index.rowGroups.length * GROUP + index.anchors.length * ANCHOR)
  out.writeUInt32LE(MAGIC, 0)
  out[4] = 1
  out.writeUInt32LE(index.rowGroups.length, 8)
  out.writeUInt32LE(index.anchors.length, 12)
  out.writeUInt32LE(index.anchorEvery, 16)
  let p = HEADER
  for (const g of index.rowGroups) {
    out.writeUInt32LE(g.firstRow, p)
    out.writeUInt32LE(g.rowCount, p + 4)
    out.set(g.minTraceId, p + 8)
    out.set(g.maxTraceId, p + 24)
    out.writeBigUInt64LE(g.minStartUnixNano, p + 40)
    out.writeBigUInt64LE(g.maxEndUnixNano, p + 48)
    p += GROUP
  }
  for (const a of index.anchors) {
    out.set(a.traceId, p)
    out.writeUInt32LE(a.firstRow, p + 16)
    p += ANCHOR
  }
  return out
}

/** Parses an index file; throws an Error describing what is wrong. */
export function decodeIndex (buf: Buffer): BlockIndex {
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC) throw new Error('not a block index file')
  if (buf[4] !== 1) throw new Error(`unsupported block index version ${buf[4]}`)
  const groups = buf.readUInt32LE(8)
  const anchors = buf.readUInt32LE(12)
  const anchorEvery = buf.readUInt32LE(16)
  if (buf.length !== HEADER + groups * GROUP + anchors * ANCHOR || anchorEvery < 1) throw new Error('block index header does not match its size')
  const index: BlockIndex = { rowGroups: [], anchors: [], anchorEvery }
  let p = HEADER
  for (let i = 0; i < groups; i++, p += GROUP) {
    index.rowGroups.push({
      firstRow: buf.readUInt32LE(p),
      rowCount: buf.readUInt32LE(p + 4),
      minTraceId: Buffer.from(buf.subarray(p + 8, p + 24)),
      maxTraceId: Buffer.from(buf.subarray(p + 24, p + 40)),
      minStartUnixNano: buf.readBigUInt64LE(p + 40),
      maxEndUnixNano: buf.readBigUInt64LE(p + 48),
    })
  }
  for (let i = 0; i < anchors; i++, p += ANCHOR) {
    index.anchors.push({ traceId: Buffer.from(buf.subarray(p, p + 16)), firstRow: buf.readUInt32LE(p + 16) })
  }
  return index
}

/**
 * The half-open row range that holds `traceId` if the block has it, or null when the anchors
 * rule it out (before the first trace). `totalRows` closes the last anchor's range.
 */
export function candidateRows (index: BlockIndex, traceId: Uint8Array, totalRows: number): { rowStart: number, rowEnd: number } | null {
  const anchors = index.anchors
  let lo = 0
  let hi = anchors.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (Buffer.compare(anchors[mid]!.traceId, traceId) <= 0) { found = mid; lo = mid + 1 } else hi = mid - 1
  }
  if (found < 0) return null
  return { rowStart: anchors[found]!.firstRow, rowEnd: found + 1 < anchors.length ? anchors[found + 1]!.firstRow : totalRows }
}
