/**
 * Storage defaults in one place. The node config (broker section) maps onto these fields:
 *
 *   broker.log_segment_bytes    → segmentBytes      (bytes; a segment rolls before exceeding it)
 *   broker.log_retention        → retentionMs       (a duration; -1 keeps data forever)
 *   broker.log_retention_bytes  → retentionBytes    (bytes per partition; -1 = unlimited)
 *   broker.fsync                → fsync             ('always' | 'interval' | 'never')
 *   broker.fsync_interval       → fsyncIntervalMs   (a duration; used by 'interval')
 *
 * `indexIntervalBytes` is internal (Kafka's log.index.interval.bytes) and not exposed.
 */
import { ConfigError } from '../../common/errors.ts'

/**
 * - `always`: a durable append resolves only after an fdatasync covering it (group commit).
 * - `interval`: fdatasync every `fsyncIntervalMs` on the injected clock; appends do not wait.
 * - `never`: the OS writes back when it likes; only roll and close sync.
 */
export type FsyncPolicy = 'always' | 'interval' | 'never'

export const FSYNC_POLICIES: readonly FsyncPolicy[] = ['always', 'interval', 'never']

export interface StorageConfig {
  /** Roll to a new segment before the active one would exceed this many bytes. */
  segmentBytes: number
  /** One sparse offset-index entry per this many bytes of log. */
  indexIntervalBytes: number
  /** Delete non-active segments whose newest timestamp is older than this; -1 = forever. */
  retentionMs: number
  /** Delete oldest non-active segments while the partition stays at least this big; -1 = no limit. */
  retentionBytes: number
  fsync: FsyncPolicy
  fsyncIntervalMs: number
}

export function storageDefaults (): StorageConfig {
  return {
    segmentBytes: 1024 * 1024 * 1024,
    indexIntervalBytes: 4096,
    retentionMs: 7 * 24 * 60 * 60 * 1000,
    retentionBytes: -1,
    fsync: 'always',
    fsyncIntervalMs: 1000,
  }
}

/** Positions in the .index file are int32, so a segment cannot exceed this. */
export const MAX_SEGMENT_BYTES = 0x7fffffff

/** Every problem with `config`, keyed by field name; empty when valid. */
export function validateStorageConfig (config: StorageConfig): { key: string, message: string }[] {
  const issues: { key: string, message: string }[] = []
  const int = (key: keyof StorageConfig, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(v) || v < min || v > max) issues.push({ key, message: `must be an integer in [${min}, ${max}], got ${v}` })
  }
  int('segmentBytes', config.segmentBytes, 64, MAX_SEGMENT_BYTES)
  int('indexIntervalBytes', config.indexIntervalBytes, 1, MAX_SEGMENT_BYTES)
  if (config.retentionMs !== -1) int('retentionMs', config.retentionMs, 1)
  if (config.retentionBytes !== -1) int('retentionBytes', config.retentionBytes, 1)
  if (!FSYNC_POLICIES.includes(config.fsync)) issues.push({ key: 'fsync', message: `must be one of ${FSYNC_POLICIES.join(', ')}, got ${String(config.fsync)}` })
  int('fsyncIntervalMs', config.fsyncIntervalMs, 1)
  return issues
}

/** Fills unset fields from the defaults; throws `ConfigError` listing every invalid field. */
export function resolveStorageConfig (partial: Partial<StorageConfig> = {}): StorageConfig {
  const config = storageDefaults()
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) Object.assign(config, { [k]: v })
  }
  const issues = validateStorageConfig(config)
  if (issues.length > 0) throw new ConfigError(issues.map((i) => ({ key: `storage.${i.key}`, message: i.message })))
  return config
}
