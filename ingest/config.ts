import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'

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
  write_timeout: { type: 'duration', default: 10_000, min: 1, doc: 'Produce request timeout.' },
} as const

export type KafkaConfig = ConfigOf<typeof kafkaSchema>

export function validateKafkaConfig (c: KafkaConfig, prefix = 'kafka'): ConfigIssue[] {
  return c.brokers.flatMap((b, i) => /^[^\s:]+:\d{1,5}$/.test(b) ? [] : [{ key: `${prefix}.brokers[${i}]`, message: `must be host:port, got ${JSON.stringify(b)}` }])
}
