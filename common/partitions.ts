/**
 * The partitions a node is configured to own: the explicit list (deduplicated, sorted), else the
 * numeric suffix of its instance id as Tempo derives it (`live-store-zone-a-3` → 3), else none.
 * Shared by the partition reader (ingest/) and the ring lifecycler (ring/).
 */
export function configuredPartitions (partitions: readonly string[], instanceId: string): number[] {
  if (partitions.length > 0) return [...new Set(partitions.map(Number))].sort((a, b) => a - b)
  const m = /-([0-9]+)$/.exec(instanceId)
  return m === null ? [] : [Number(m[1])]
}
