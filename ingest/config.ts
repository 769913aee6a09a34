import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'
import { configuredPartitions } from '../common/partitions.ts'

/**
 * The Kafka client settings (`kafka:` in YAML). With `brokers` empty the node starts the embedded
 * broker (broker/) and talks to it over loopback TCP; otherwise it uses the listed cluster
 * (Apache Kafka, Redpanda, any Kafka-compatible service).
 */
export const kafkaSchema = {
  brokers: { type: 'list', default: [], doc: 'Bootstrap brokers, `host:port`; empty = start the embedded broker.' },
  topic: { type: 'string', default: 'otlp_spans', doc: 'Topic carrying OTLP ExportTraceServiceRequest records.' },
  client_id: { type: 'string', default: 'livestore', doc: 'Kafka client id.' },
  dial_timeout: { type: 'duration', default: 2000, min: 1, doc: 'Connection timeout per broker.' },
  topic_partitions: { type: 'int', default: 8, min: 1, max: 1000, doc: 'Partitions of the topic when the node creates it (it exists already on most real clusters).' },
} as const

export type KafkaConfig = ConfigOf<typeof kafkaSchema>

export function validateKafkaConfig (c: KafkaConfig, prefix = 'kafka'): ConfigIssue[] {
  return c.brokers.flatMap((b, i) => /^[^\s:]+:\d{1,5}$/.test(b) ? [] : [{ key: `${prefix}.brokers[${i}]`, message: `must be host:port, got ${JSON.stringify(b)}` }])
}

const MiB = 1024 * 1024

/** The write path (`distributor:`): the OTLP/HTTP receiver and how records are produced. */
export const distributorSchema = {
  otlp_http_listen_address: { type: 'string', default: '0.0.0.0', doc: 'Address of the OTLP/HTTP receiver (`POST /v1/traces`).' },
  otlp_http_listen_port: { type: 'int', default: 4318, min: 0, max: 65535, doc: 'Port of the OTLP/HTTP receiver (OTLP default 4318).' },
  max_request_bytes: { type: 'bytes', default: 20 * MiB, min: 1024, doc: 'Largest OTLP request body, before and after gzip decompression; larger → 413.' },
  max_record_bytes: { type: 'bytes', default: 15_983_616, min: 1024, doc: 'Largest Kafka record (one trace of one request); a larger trace is refused (Tempo producer_max_record_size_bytes).' },
  kafka_write_timeout: { type: 'duration', default: 10_000, min: 1, doc: 'How long a produce may wait for acks=-1 before the request fails with 503.' },
} as const

export type DistributorConfig = ConfigOf<typeof distributorSchema>

/** The read path (`live_store:`): which partitions this node consumes and how. */
export const liveStoreIngestSchema = {
  instance_id: { type: 'string', default: '', allowEmpty: true, doc: 'This node\'s id. When `partitions` is empty and the id ends in `-N` (Tempo style, e.g. `live-store-zone-a-3`), the node owns partition N.' },
  partitions: { type: 'list', default: [], doc: 'Partitions this node consumes, e.g. `0,1,2`. Empty and no `-N` instance id: every partition of the topic (single-node default).' },
  consumer_group: { type: 'string', default: 'live-store', doc: 'Consumer group prefix; partition P commits its offsets in group `<consumer_group>-<P>`, or `<consumer_group>-<instance_zone>-<P>` when the zone is set (each zone consumes every partition).' },
  commit_interval: { type: 'duration', default: 5000, doc: 'Offset commit period; 0 commits after every fetched batch.' },
  complete_block_timeout: { type: 'duration', default: 20 * 60_000, min: 1, doc: 'Retention: blocks whose data ended longer ago are deleted. Records older than this are skipped as too old, and a start replays at most 2 × this.' },
  readiness_target_lag: { type: 'duration', default: 0, doc: 'If > 0, `/ready` answers `catching-up` after a start until the consumer has caught up with the log end seen at start, or its record-time lag is ≤ this. 0 = ready once started.' },
  readiness_max_wait: { type: 'duration', default: 30 * 60_000, doc: 'Longest catch-up wait; after it the node turns ready anyway (only with readiness_target_lag > 0).' },
} as const

export type LiveStoreIngestConfig = ConfigOf<typeof liveStoreIngestSchema>

/** The partitions a node owns (common/partitions.ts), or null when none are configured (= all). */
export function ownedPartitions (c: LiveStoreIngestConfig): number[] | null {
  const owned = configuredPartitions(c.partitions, c.instance_id)
  return owned.length === 0 ? null : owned
}

export function validateLiveStoreIngestConfig (c: LiveStoreIngestConfig, prefix = 'live_store'): ConfigIssue[] {
  return c.partitions.flatMap((p, i) => /^\d+$/.test(p) ? [] : [{ key: `${prefix}.partitions[${i}]`, message: `must be a partition number, got ${JSON.stringify(p)}` }])
}
