/**
 * Seeded randomness for a run. Each consumer gets its own stream derived from the run's seed and
 * a label (`derive(seed, 'network')`, `derive(seed, 'node a-3#2')`), so adding a random draw in
 * one place does not shift every other stream, and one seed replays the run event for event.
 */
import { seededRandom } from '../common/random.ts'
import type { Random } from '../common/random.ts'

/** FNV-1a over the label, mixed with the seed (32 bits). */
export function deriveSeed (seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  return h >>> 0
}

export function derive (seed: number, label: string): Random {
  return seededRandom(deriveSeed(seed, label))
}

/** A value in [min, max). */
export function uniform (r: Random, min: number, max: number): number {
  return min + (max - min) * r.next()
}

/** A standard normal draw (Box–Muller). */
export function normal (r: Random): number {
  const u = 1 - r.next()
  const v = r.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
