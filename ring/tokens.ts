/**
 * Ring tokens of a partition, derived from its id alone, so tokens are never gossiped, never
 * merged and never disagree between replicas (dskit also treats them as immutable and
 * re-derivable; it seeds its spread-minimizing generator with the partition id).
 *
 * Derivation (pinned by tokens.test.ts; changing it moves every trace to another partition, so
 * it would need a new ring format version):
 *
 *     width     = floor(2^32 / count)                  (count = 512 by default)
 *     seed      = fmix32(id)
 *     token[j]  = j * width + fmix32(seed + j * 0x9e3779b9 mod 2^32) mod width,  j = 0..count-1
 *
 * where `fmix32` is MurmurHash3's 32-bit finaliser. The token space [0, 2^32) is cut into
 * `count` equal slices and each partition puts exactly one pseudo-random token in each slice.
 * That keeps a partition's tokens sorted and distinct, spreads them over the whole ring, and
 * gives every partition about 1/P of the space (relative spread ≈ 1/sqrt(count), ~4% at 512)
 * without a coordinated generator.
 *
 * Two partitions can draw the same token (about 1 in 2^23 per slice and pair); ring readers
 * give such a token to the lower partition id.
 */

/** dskit's `optimalTokensPerInstance`. */
export const tokensPerPartition = 512

/** MurmurHash3 fmix32: a bijective 32-bit mixer. */
export function fmix32 (x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The `count` tokens of partition `id`, ascending (see the file comment). */
export function partitionTokens (id: number, count = tokensPerPartition): number[] {
  const width = Math.floor(2 ** 32 / count)
  const seed = fmix32(id)
  const tokens = new Array<number>(count)
  for (let j = 0; j < count; j++) {
    const h = fmix32((seed + Math.imul(j, 0x9e3779b9)) >>> 0)
    tokens[j] = j * width + (h % width)
  }
  return tokens
}
