import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'

const MiB = 1024 * 1024

/**
 * The embedded broker's settings (`broker:` in YAML, `LIVESTORE_BROKER_*`, `--broker.*`).
 * Names follow Kafka's server properties where one exists (log.segment.bytes → log_segment_bytes).
 */
export const brokerSchema = {
  host: { type: 'string', default: '127.0.0.1', doc: 'Address the broker listens on. Use 0.0.0.0 to accept other hosts.' },
  port: { type: 'int', default: 9092, min: 0, max: 65535, doc: 'TCP port (0 picks a free one).' },
  advertised_host: { type: 'string', default: '', allowEmpty: true, doc: 'Host returned to clients in Metadata; empty = `host` (or 127.0.0.1 when `host` is 0.0.0.0).' },
  node_id: { type: 'int', default: 0, min: 0, doc: 'Broker id reported in Metadata.' },
  data_dir: { type: 'string', default: './data/broker', doc: 'Directory of the partition logs, topic metadata and committed offsets.' },
  partitions: { type: 'int', default: 8, min: 1, max: 1000, doc: 'Partitions of an auto-created topic (Kafka num.partitions).' },
  auto_create_topics: { type: 'bool', default: true, doc: 'Create a topic on first Metadata request for it (Kafka auto.create.topics.enable).' },
  fsync: { type: 'enum', values: ['always', 'interval', 'never'], default: 'always', doc: '`always`: an acks=-1 produce is answered only after fdatasync (group commit); `interval`: fsync every `fsync_interval`; `never`: leave it to the OS.' },
  fsync_interval: { type: 'duration', default: 1000, min: 1, doc: 'Flush period when `fsync: interval`.' },
  log_segment_bytes: { type: 'bytes', default: 1024 * MiB, min: 1024, doc: 'Roll a new segment file after this size (Kafka log.segment.bytes).' },
  log_retention: { type: 'duration', default: 168 * 3_600_000, doc: 'Delete segments whose newest record is older than this; 0 keeps forever (Kafka log.retention.hours).' },
  log_retention_bytes: { type: 'bytes', default: -1, min: -1, doc: 'Per-partition size cap; oldest segments are deleted above it; -1 = unlimited.' },
  retention_check_interval: { type: 'duration', default: 300_000, min: 1, doc: 'How often retention runs (Kafka log.retention.check.interval.ms).' },
  max_frame_bytes: { type: 'bytes', default: 100 * MiB, min: 1024, doc: 'Largest request frame accepted; a larger one closes the connection (Kafka socket.request.max.bytes).' },
  max_message_bytes: { type: 'bytes', default: 16 * MiB, min: 1024, doc: 'Largest record batch a produce may carry; larger ones get MESSAGE_TOO_LARGE (Kafka message.max.bytes, 1 MiB there; Tempo producers send up to ~16 MB).' },
  max_connections: { type: 'int', default: 1000, min: 1, doc: 'Open client connections; further ones are refused and counted.' },
  connection_idle_timeout: { type: 'duration', default: 600_000, min: 1, doc: 'Close connections idle this long (Kafka connections.max.idle.ms).' },
  group_initial_rebalance_delay: { type: 'duration', default: 0, doc: 'Wait this long for more members before the first rebalance of an empty group (Kafka group.initial.rebalance.delay.ms, 3s there).' },
  group_min_session_timeout: { type: 'duration', default: 6000, doc: 'Smallest session timeout a member may ask for.' },
  group_max_session_timeout: { type: 'duration', default: 1_800_000, doc: 'Largest session timeout a member may ask for.' },
} as const

export type BrokerConfig = ConfigOf<typeof brokerSchema>

/** Cross-field rules; single-field bounds are checked from the schema. */
export function validateBrokerConfig (c: BrokerConfig, prefix = 'broker'): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (c.group_min_session_timeout > c.group_max_session_timeout) {
    issues.push({ key: `${prefix}.group_min_session_timeout`, message: `must be <= group_max_session_timeout (${c.group_max_session_timeout}ms), got ${c.group_min_session_timeout}ms` })
  }
  if (c.log_retention_bytes !== -1 && c.log_retention_bytes < c.log_segment_bytes) {
    issues.push({ key: `${prefix}.log_retention_bytes`, message: `must be -1 or >= log_segment_bytes (${c.log_segment_bytes}), got ${c.log_retention_bytes}` })
  }
  if (c.log_segment_bytes > 0x7fffffff) {
    issues.push({ key: `${prefix}.log_segment_bytes`, message: `must be < 2GiB (index positions are int32), got ${c.log_segment_bytes}` })
  }
  if (c.max_message_bytes > c.max_frame_bytes) {
    issues.push({ key: `${prefix}.max_message_bytes`, message: `must be <= max_frame_bytes (${c.max_frame_bytes}), got ${c.max_message_bytes}` })
  }
  return issues
}
