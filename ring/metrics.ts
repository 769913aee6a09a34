/**
 * Ring metrics, on the registry node/ passes in (code-style habit 9). Optional: the replica and
 * the lifecycler also keep plain counters (`stats()`) for tests and the status page.
 */
import type { Registry } from 'prom-client'
import { counterOn, gaugeOn } from '../common/metrics.ts'

export function createRingMetrics (registry: Registry) {
  return {
    messages: counterOn(registry, { name: 'livestore_ring_gossip_messages_total', help: 'Gossip messages by direction (in, out) and kind (delta, full).', labelNames: ['direction', 'kind'] }),
    bytes: counterOn(registry, { name: 'livestore_ring_gossip_bytes_total', help: 'Gossip bytes by direction (in, out) and kind (delta, full).', labelNames: ['direction', 'kind'] }),
    rejected: counterOn(registry, { name: 'livestore_ring_gossip_rejected_total', help: 'Gossip messages rejected by the validators, by reason.', labelNames: ['reason'] }),
    merges: counterOn(registry, { name: 'livestore_ring_merges_total', help: 'Received deltas and full states merged, by whether they changed the local ring.', labelNames: ['changed'] }),
    antiEntropy: counterOn(registry, { name: 'livestore_ring_anti_entropy_total', help: 'Full-state push/pull exchanges started by this node, by result.', labelNames: ['result'] }),
    partitions: gaugeOn(registry, { name: 'tempo_partition_ring_partitions', help: 'Partitions in the local ring view, by state.', labelNames: ['state'] }),
    reconciles: counterOn(registry, { name: 'tempo_partition_ring_lifecycler_reconciles_total', help: 'Lifecycler reconciles, by type.', labelNames: ['type'] }),
    reconcilesFailed: counterOn(registry, { name: 'tempo_partition_ring_lifecycler_reconciles_failed_total', help: 'Lifecycler reconcile steps that failed, by type.', labelNames: ['type'] }),
  }
}

export type RingMetrics = ReturnType<typeof createRingMetrics>
