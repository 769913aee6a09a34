/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum RecordBatch v2 uses.
 * storage/ keeps its own copy so it does not depend on protocol/ while both are being written;
 * the two are meant to be deduplicated later. Slicing-by-8 tables: the recovery scan checksums
 * whole segments, so the byte-at-a-time loop would be the bottleneck of a restart.
 */
const POLY = 0x82f63b78

const TABLES: Uint32Array[] = (() => {
  const tables: Uint32Array[] = []
  const t0 = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ POLY : c >>> 1
    t0[n] = c >>> 0
  }
  tables.push(t0)
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1] as Uint32Array
    const cur = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      const p = prev[n] as number
      cur[n] = ((p >>> 8) ^ (t0[p & 0xff] as number)) >>> 0
    }
    tables.push(cur)
  }
  return tables
})()

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array]

/** CRC-32C of `buf[start, end)`, as an unsigned 32-bit integer. */
export function crc32c (buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffffffff
  let i = start
  // Slicing-by-8: eight bytes per step through eight tables.
  while (end - i >= 8) {
    const a = (crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0
    crc = T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^
      T3[buf[i + 4]!]! ^ T2[buf[i + 5]!]! ^ T1[buf[i + 6]!]! ^ T0[buf[i + 7]!]!
    i += 8
  }
  while (i < end) {
    crc = T0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8)
    i++
  }
  return (crc ^ 0xffffffff) >>> 0
}
