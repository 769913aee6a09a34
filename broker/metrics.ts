import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'

/** Why a connection was closed or a frame refused (label values of `bad_requests_total`). */
export type BadRequestReason = 'frame_too_large' | 'negative_frame_size' | 'malformed_header' | 'malformed_request' | 'unknown_api_key' | 'unsupported_version' | 'too_many_connections' | 'handler_error'

/** The broker's metrics, created on the injected registry (never the global one). */
export function createBrokerMetrics (registry: Registry) {
  const registers = [registry]
  return {
    requests: new Counter({ name: 'livestore_broker_requests_total', help: 'Requests handled, by API and error code of the first failing partition (0 = none).', labelNames: ['api'], registers }),
    requestSeconds: new Histogram({ name: 'livestore_broker_request_duration_seconds', help: 'Time from frame received to response queued.', labelNames: ['api'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers }),
    badRequests: new Counter({ name: 'livestore_broker_bad_requests_total', help: 'Frames or requests refused; most close the connection.', labelNames: ['reason'], registers }),
    connections: new Gauge({ name: 'livestore_broker_connections', help: 'Open client connections.', registers }),
    bytesIn: new Counter({ name: 'livestore_broker_received_bytes_total', help: 'Request bytes received.', registers }),
    bytesOut: new Counter({ name: 'livestore_broker_sent_bytes_total', help: 'Response bytes sent.', registers }),
    producedRecords: new Counter({ name: 'livestore_broker_produced_records_total', help: 'Records appended, by topic.', labelNames: ['topic'], registers }),
    producedBytes: new Counter({ name: 'livestore_broker_produced_bytes_total', help: 'Record-batch bytes appended, by topic.', labelNames: ['topic'], registers }),
    rejectedBatches: new Counter({ name: 'livestore_broker_rejected_batches_total', help: 'Produced record batches refused (CRC, magic, size), by Kafka error name.', labelNames: ['error'], registers }),
    fetchedBytes: new Counter({ name: 'livestore_broker_fetched_bytes_total', help: 'Record-batch bytes returned by Fetch.', registers }),
    rebalances: new Counter({ name: 'livestore_broker_group_rebalances_total', help: 'Completed consumer-group rebalances.', registers }),
    fsyncs: new Counter({ name: 'livestore_broker_fsyncs_total', help: 'fdatasync calls on partition logs (group commit makes this far smaller than produce requests).', registers }),
  }
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>
