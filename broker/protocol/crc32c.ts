/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of RecordBatch v2.
 *
 * Slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per iteration with
 * independent table lookups instead of one byte at a time, which is what makes checking every
 * produced batch affordable (hundreds of MB/s in plain JS).
 */
const POLY = 0x82f63b78

function buildTables (): Int32Array[] {
  const t0 = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ POLY : c >>> 1
    t0[n] = c
  }
  const tables = [t0]
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1] as Int32Array
    const next = new Int32Array(256)
    for (let n = 0; n < 256; n++) {
      const p = prev[n] as number
      next[n] = (p >>> 8) ^ (t0[p & 0xff] as number)
    }
    tables.push(next)
  }
  return tables
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = buildTables() as [
  Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
]

/**
 * CRC-32C of `data`. Pass a previous result as `crc` to continue a checksum over several pieces:
 * `crc32c(b, crc32c(a)) === crc32c(concat(a, b))`.
 */
export function crc32c (data: Uint8Array, crc = 0): number {
  let c = ~crc
  let i = 0
  const n = data.length
  const end8 = n - (n & 7)
  // The `as number` casts are free at run time; indices are always in range.
  for (; i < end8; i += 8) {
    c ^= (data[i] as number) | ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24)
    c = (T7[c & 0xff] as number) ^ (T6[(c >>> 8) & 0xff] as number) ^
      (T5[(c >>> 16) & 0xff] as number) ^ (T4[c >>> 24] as number) ^
      (T3[data[i + 4] as number] as number) ^ (T2[data[i + 5] as number] as number) ^
      (T1[data[i + 6] as number] as number) ^ (T0[data[i + 7] as number] as number)
  }
  for (; i < n; i++) c = (T0[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8)
  return ~c >>> 0
}
