import { exponentialBuckets } from 'prom-client'
import type { Registry } from 'prom-client'
import { counterOn, gaugeOn, histogramOn } from '../common/metrics.ts'

/** Label values of `tempo_live_store_blocks_cut_total{reason}` (tempo-behaviour.md §2.4). */
export const CutReason = {
  immediate: 'immediate',
  maxBlockDuration: 'max_block_duration',
  maxBlockBytes: 'max_block_bytes',
} as const
export type CutReason = typeof CutReason[keyof typeof CutReason]

/** `block_type` label values: WAL blocks (and their segments) and complete blocks. */
export type BlockType = 'wal' | 'complete'

const MiB = 1024 * 1024

/**
 * The block lifecycle's metrics, with Tempo's names (tempo-behaviour.md §7), on the injected
 * registry. Registered through common/metrics.ts so two block stores sharing a registry (a
 * restart in a test, several nodes in a simulation) share the series instead of clashing.
 */
export function createBlockStoreMetrics (registry: Registry) {
  return {
    blocksCut: counterOn(registry, { name: 'tempo_live_store_blocks_cut_total', help: 'Head blocks cut into WAL blocks, once per reason that applied.', labelNames: ['reason'] as const }),
    completeQueueLength: gaugeOn(registry, { name: 'tempo_live_store_complete_queue_length', help: 'WAL blocks waiting to be completed.' }),
    blocksCompleted: counterOn(registry, { name: 'tempo_live_store_blocks_completed_total', help: 'WAL blocks converted into complete blocks.' }),
    failedCompletions: counterOn(registry, { name: 'tempo_live_store_failed_completions_total', help: 'WAL blocks given up on after the last completion attempt.' }),
    completionRetries: counterOn(registry, { name: 'tempo_live_store_completion_retries_total', help: 'Failed completion attempts scheduled for a retry.' }),
    completionDuration: histogramOn(registry, { name: 'tempo_live_store_completion_duration_seconds', help: 'Time to convert a WAL block into a complete block.', buckets: exponentialBuckets(1, 2, 10) }),
    completionSize: histogramOn(registry, { name: 'tempo_live_store_completion_size_bytes', help: 'Size of the complete blocks written.', buckets: exponentialBuckets(MiB, 2, 10) }),
    blocksCleared: counterOn(registry, { name: 'tempo_live_store_blocks_cleared_total', help: 'Blocks whose files were deleted after the reclaim grace.', labelNames: ['block_type'] as const }),
    quarantined: counterOn(registry, { name: 'livestore_wal_quarantined_total', help: 'Damaged blocks or WAL segments moved to the quarantine directory at load.', labelNames: ['block_type'] as const }),
  }
}

export type BlockStoreMetrics = ReturnType<typeof createBlockStoreMetrics>
