import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'

const MiB = 1024 * 1024

/**
 * The block side of `live_store:` (Tempo's names and defaults, tempo-behaviour.md §1.3): where
 * the WAL lives, when the head block is cut, how WAL blocks become complete blocks and when they
 * are aged out. node/config.ts merges these keys into the `live_store` section.
 */
export const walSchema = {
  path: { type: 'string', default: './data/wal', doc: 'WAL directory: head and WAL blocks under `<path>/wal/`, complete blocks under `<path>/blocks/`, damaged files moved to `<path>/quarantine/`.' },
  ingestion_time_range_slack: { type: 'duration', default: 2 * 60_000, doc: 'A flushed trace\'s time range is clamped to [first record time − slack, last record time + slack]; spans outside it are counted in `tempo_warnings_total{reason="outside_ingestion_time_slack"}`.' },
} as const

export const blockLifecycleSchema = {
  wal: walSchema,
  max_block_duration: { type: 'duration', default: 30_000, min: 1, doc: 'The head block is cut into a WAL block when it is this old.' },
  max_block_bytes: { type: 'bytes', default: 50 * MiB, min: 1, doc: 'The head block is cut into a WAL block when its Parquet data reaches this size.' },
  complete_block_concurrency: { type: 'int', default: 2, min: 1, max: 64, doc: 'WAL blocks converted to complete blocks at once (each on a worker thread).' },
  block_reclaim_grace: { type: 'duration', default: 2 * 60_000, min: 1, doc: 'Files of a block removed from the block set are deleted this much later, so in-flight reads never hit a missing file.' },
  flush_op_timeout: { type: 'duration', default: 5 * 60_000, min: 1, doc: 'Period of the retention check (Tempo\'s misnamed cleanup period): blocks whose data ended more than `complete_block_timeout` ago are removed.' },
} as const

export type BlockLifecycleConfig = ConfigOf<typeof blockLifecycleSchema>

export function validateBlockLifecycleConfig (c: BlockLifecycleConfig, prefix = 'live_store'): ConfigIssue[] {
  return c.wal.path === '' ? [{ key: `${prefix}.wal.path`, message: 'must not be empty' }] : []
}
