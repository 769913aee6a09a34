import { Partitioners } from 'kafkajs'
import type { Kafka, Producer } from 'kafkajs'
import type { Clock, Timer } from '../common/clock.ts'
import { UnavailableError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import { splitRequestByTrace } from '../common/otlp/index.ts'
import { ServiceBase } from '../common/service.ts'
import type { DistributorConfig } from './config.ts'
import type { DistributorDiscardReason, IngestMetrics } from './metrics.ts'
import { encodeRecord } from './record-format.ts'
import type { PartitionRoute } from './ring-routing.ts'
import { partitionForTrace } from './routing.ts'

export interface PushResult {
  acceptedSpans: number
  rejectedSpans: number
  /** Why spans were rejected (for OTLP partial_success), empty when none were. */
  errorMessage: string
}

export interface DistributorDeps {
  /** The Kafka client (a getter: it exists only once the connection service started). */
  kafka: () => Kafka
  topic: string
  /** Current partition count of the topic (refreshed by the caller's metadata). */
  partitionCount: () => Promise<number>
  /**
   * The partition ring's routing (ring-routing.ts `RingRouting.route`), asked once per request;
   * absent or null: FNV-1a modulo the topic's partition count (routing.ts, single node).
   */
  route?: () => PartitionRoute | null
  config: DistributorConfig
  metrics: IngestMetrics
  clock: Clock
  logger: Logger
}

/**
 * The write path: validates spans, groups them by trace and tenant, and produces one Kafka record
 * per trace (key = trace id) to the trace's partition (an active partition of the ring when
 * `route` is given) with acks=-1. `push` resolves only after Kafka acknowledged every record, so
 * an acknowledged span is durable; a Kafka failure, or a ring without an active partition, rejects
 * the whole request as retriable (OTLP clients retry 503s).
 */
export class Distributor extends ServiceBase {
  readonly name = 'distributor'
  readonly #deps: DistributorDeps
  #partitions = 0
  #producer: Producer | undefined
  #refresh: Timer | undefined

  constructor (deps: DistributorDeps) {
    super()
    this.#deps = deps
  }

  protected async doStart (): Promise<void> {
    // Every record names its partition (routing.ts), so the partitioner is never consulted.
    this.#producer = this.#deps.kafka().producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner })
    await this.#producer.connect()
    this.#partitions = await this.#deps.partitionCount()
    // Partitions can be added to a topic; pick them up without a restart.
    this.#refresh = this.#deps.clock.setInterval(() => {
      this.#deps.partitionCount().then((n) => { this.#partitions = n }, (err: unknown) => this.#deps.logger.warn({ err }, 'cannot refresh topic partitions'))
    }, 30_000)
  }

  protected async doStop (): Promise<void> {
    this.#refresh?.cancel()
    await this.#producer?.disconnect()
  }

  /**
   * Pushes one protobuf ExportTraceServiceRequest (JSON requests are converted by the caller).
   * The request is validated and split by trace in one pass over its bytes, without decoding
   * (common/otlp/split-proto.ts); an undecodable request throws OtlpDecodeError (→ 400).
   */
  async push (tenant: string, request: Buffer): Promise<PushResult> {
    const { metrics, config, topic } = this.#deps
    const split = splitRequestByTrace(request)
    metrics.spansReceived.inc({ tenant }, split.spans)
    const rejected = new Map<DistributorDiscardReason, number>()
    const reject = (reason: DistributorDiscardReason, n: number): void => {
      if (n === 0) return
      rejected.set(reason, (rejected.get(reason) ?? 0) + n)
      metrics.discardedSpans.inc({ reason, tenant }, n)
    }
    reject('invalid_trace_id', split.invalid.traceId)
    reject('invalid_span_id', split.invalid.spanId)

    const route = this.#deps.route?.() ?? null
    const messagesByPartition = new Map<number, { key: Buffer, value: Buffer, headers: Record<string, string>, partition: number }[]>()
    let accepted = 0
    for (const trace of split.traces) {
      if (trace.request.length > config.max_record_bytes) { reject('trace_too_large', trace.spanCount); continue }
      const traceId = trace.traceId
      // Throws UnavailableError (503) when the ring has no active partition: nothing is written.
      const partition = route === null ? partitionForTrace(tenant, traceId, this.#partitions) : route(tenant, traceId)
      const list = messagesByPartition.get(partition) ?? []
      list.push({ ...encodeRecord(tenant, traceId, trace.request), partition })
      messagesByPartition.set(partition, list)
      accepted += trace.spanCount
    }

    if (messagesByPartition.size > 0) {
      const messages = [...messagesByPartition.values()].flat()
      const started = performance.now()
      try {
        if (this.#producer === undefined) throw new Error('distributor is not started')
        await this.#producer.send({ topic, acks: -1, timeout: config.kafka_write_timeout, messages })
      } catch (err) {
        throw new UnavailableError('writing to Kafka failed; retry the request', { cause: err })
      }
      metrics.kafkaWriteSeconds.observe((performance.now() - started) / 1000)
      for (const [p, list] of messagesByPartition) metrics.kafkaRecords.inc({ partition: String(p) }, list.length)
    }
    const errorMessage = [...rejected].map(([reason, n]) => `${n} span(s) rejected: ${reason.replace(/_/g, ' ')}`).join('; ')
    return { acceptedSpans: accepted, rejectedSpans: split.spans - accepted, errorMessage }
  }
}
