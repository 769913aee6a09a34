/**
 * A small Bloom filter over trace ids, stored as the block's `bloom` file, so a trace-by-id
 * lookup skips blocks that cannot hold the trace without touching their Parquet data.
 *
 * Sizing: for n ids and a target false-positive rate p, m = ceil(-n·ln p / ln²2) bits and
 * k = round(m/n · ln 2) hash functions, the textbook optimum; the expected rate is then
 * (1 - e^(-k·n/m))^k ≈ p. An absent id is reported present with about that probability (the
 * tests check the measured rate stays within 1.5 p); a present id is never reported absent.
 * Default p = 0.1%: 14.4 bits (1.8 bytes) and 10 probes per trace id. A lookup asks every block,
 * so with 100 blocks 1% would cost about one useless block read per lookup; 0.1% about 0.1,
 * for well under 0.1 byte per span (traces average ~20 spans).
 *
 * Hashing: two 32-bit hashes (murmur3-style mixing of the id's 32-bit words under two seeds),
 * combined as h1 + i·h2 (Kirsch–Mitzenmacher), so ids that are not random (test ids, counters)
 * still spread.
 *
 * File layout (little-endian):
 *   0  'LSBF'            magic
 *   4  u8  version (1)
 *   5  u8  k
 *   6  u16 reserved (0)
 *   8  u32 m (bits)
 *   12 u32 n (ids added)
 *   16 ceil(m/8) bytes   the bit array, bit j at byte j>>3, mask 1<<(j&7)
 */
const MAGIC = 0x4642534c // 'LSBF' read as u32 LE
const HEADER = 16
export const DEFAULT_FALSE_POSITIVE_RATE = 0.001

export class BloomFilter {
  private constructor (readonly bits: Uint8Array, readonly m: number, readonly k: number, public n: number) {}

  static create (expectedItems: number, falsePositiveRate = DEFAULT_FALSE_POSITIVE_RATE): BloomFilter {
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) throw new RangeError(`false-positive rate must be in (0, 1), got ${falsePositiveRate}`)
    const n = Math.max(1, expectedItems)
    const m = Math.max(64, Math.ceil(-n * Math.log(falsePositiveRate) / (Math.LN2 * Math.LN2)))
    const k = Math.min(30, Math.max(1, Math.round(m / n * Math.LN2)))
    return new BloomFilter(new Uint8Array(Math.ceil(m / 8)), m, k, 0)
  }

  add (id: Uint8Array): void {
    const [h1, h2] = hashes(id)
    for (let i = 0; i < this.k; i++) {
      const j = ((h1 + Math.imul(i, h2)) >>> 0) % this.m
      this.bits[j >>> 3]! |= 1 << (j & 7)
    }
    this.n++
  }

  mayContain (id: Uint8Array): boolean {
    const [h1, h2] = hashes(id)
    for (let i = 0; i < this.k; i++) {
      const j = ((h1 + Math.imul(i, h2)) >>> 0) % this.m
      if ((this.bits[j >>> 3]! & (1 << (j & 7))) === 0) return false
    }
    return true
  }

  /** The expected false-positive rate for the ids added so far. */
  expectedFalsePositiveRate (): number {
    return Math.pow(1 - Math.exp(-this.k * this.n / this.m), this.k)
  }

  encode (): Buffer {
    const out = Buffer.alloc(HEADER + this.bits.length)
    out.writeUInt32LE(MAGIC, 0)
    out[4] = 1
    out[5] = this.k
    out.writeUInt32LE(this.m, 8)
    out.writeUInt32LE(this.n, 12)
    out.set(this.bits, HEADER)
    return out
  }

  /** Parses a bloom file; throws an Error describing what is wrong. */
  static decode (buf: Uint8Array): BloomFilter {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    if (b.length < HEADER || b.readUInt32LE(0) !== MAGIC) throw new Error('not a bloom filter file')
    if (b[4] !== 1) throw new Error(`unsupported bloom filter version ${b[4]}`)
    const k = b[5]!
    const m = b.readUInt32LE(8)
    if (k < 1 || m < 1 || b.length !== HEADER + Math.ceil(m / 8)) throw new Error('bloom filter header does not match its size')
    return new BloomFilter(new Uint8Array(b.subarray(HEADER)), m, k, b.readUInt32LE(12))
  }
}

function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function hashes (id: Uint8Array): [number, number] {
  let a = 0x9747b28c ^ id.length
  let b = 0x1b873593 ^ id.length
  const words = id.length >>> 2
  for (let w = 0; w < words; w++) {
    const p = w << 2
    const x = id[p]! | (id[p + 1]! << 8) | (id[p + 2]! << 16) | (id[p + 3]! << 24)
    a = Math.imul((a ^ x) >>> 0, 0xcc9e2d51); a = (a << 15) | (a >>> 17)
    b = Math.imul((b ^ x) >>> 0, 0x5bd1e995); b = (b << 13) | (b >>> 19)
  }
  for (let p = words << 2; p < id.length; p++) {
    a = Math.imul(a ^ id[p]!, 0xcc9e2d51)
    b = Math.imul(b ^ id[p]!, 0x5bd1e995)
  }
  // h2 odd, so the k probes never collapse onto one bit.
  return [fmix32(a), fmix32(b) | 1]
}
