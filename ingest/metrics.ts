import type { Registry } from 'prom-client'
import { counterOn, discardedSpansCounter, gaugeOn, histogramOn } from '../common/metrics.ts'

/** Why the distributor refused spans (label values of `tempo_discarded_spans_total`). */
export type DistributorDiscardReason = 'invalid_trace_id' | 'invalid_span_id' | 'trace_too_large'
/** Why the partition reader skipped a record (label values of `records_dropped_total`). */
export type RecordDropReason = 'decoding_failed' | 'too_old'

export function createIngestMetrics (registry: Registry) {
  return {
    spansReceived: counterOn(registry, { name: 'tempo_distributor_spans_received_total', help: 'Spans received by the OTLP receiver.', labelNames: ['tenant'] }),
    bytesReceived: counterOn(registry, { name: 'tempo_distributor_bytes_received_total', help: 'Request body bytes received by the OTLP receiver (after decompression).', labelNames: ['tenant'] }),
    discardedSpans: discardedSpansCounter(registry),
    requests: counterOn(registry, { name: 'livestore_otlp_http_requests_total', help: 'OTLP/HTTP requests by status code.', labelNames: ['status'] }),
    kafkaWriteSeconds: histogramOn(registry, { name: 'tempo_distributor_kafka_write_latency_seconds', help: 'Time to produce a request\'s records with acks=-1.', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5] }),
    kafkaRecords: counterOn(registry, { name: 'tempo_distributor_kafka_records_total', help: 'Records produced to Kafka.', labelNames: ['partition'] }),
    recordsProcessed: counterOn(registry, { name: 'tempo_live_store_records_processed_total', help: 'Kafka records applied to the store.', labelNames: ['tenant'] }),
    recordsDropped: counterOn(registry, { name: 'tempo_live_store_records_dropped_total', help: 'Kafka records skipped; their offsets still advance.', labelNames: ['tenant', 'reason'] }),
    partitionLag: gaugeOn(registry, { name: 'tempo_ingest_group_partition_lag', help: 'Records between the committed offset and the partition end.', labelNames: ['group', 'partition'] }),
    partitionLagSeconds: gaugeOn(registry, { name: 'tempo_ingest_group_partition_lag_seconds', help: 'Now minus the timestamp of the last consumed record.', labelNames: ['group', 'partition'] }),
    backPressureSeconds: counterOn(registry, { name: 'tempo_live_store_back_pressure_seconds_total', help: 'Seconds consumption waited for memory (one per 1 s wait).', labelNames: ['reason'] }),
    catchUpSeconds: gaugeOn(registry, { name: 'tempo_live_store_catch_up_duration_seconds', help: 'How long the start-up replay took to reach the log end seen at start.' }),
    partitionOwned: gaugeOn(registry, { name: 'tempo_live_store_partition_owned', help: '1 while this node consumes the partition.', labelNames: ['partition', 'zone'] }),
  }
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>
