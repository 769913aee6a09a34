/**
 * Which partition a trace goes to without a partition ring (a single node): FNV-1a (32-bit) of
 * tenant ‖ trace id, modulo the partition count, so every span of a trace lands in one partition.
 * With a ring the distributor routes by its tokens instead (ring-routing.ts).
 */
export function partitionForTrace (tenant: string, traceId: Buffer, partitions: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < tenant.length; i++) {
    h ^= tenant.charCodeAt(i) & 0xff
    h = Math.imul(h, 0x01000193)
  }
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId[i] as number
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % partitions
}
