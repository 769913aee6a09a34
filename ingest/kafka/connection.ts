import type { Admin, Kafka } from 'kafkajs'
import type { Logger } from '../../common/logger.ts'
import { ServiceBase } from '../../common/service.ts'
import type { KafkaConfig } from '../config.ts'
import { createKafka } from './client.ts'

/**
 * The node's Kafka connection as a Service, started before the distributor and the reader:
 * resolves the brokers (configured ones, or the embedded broker's address, known only once it
 * listens), makes sure the topic exists (creating it with `kafka.topic_partitions`), and answers
 * the topic's partition count.
 */
export class KafkaConnection extends ServiceBase {
  readonly name = 'kafka'
  readonly #config: KafkaConfig
  readonly #brokers: () => string[]
  readonly #logger: Logger
  #kafka: Kafka | undefined
  #admin: Admin | undefined

  constructor (opts: { config: KafkaConfig, brokers: () => string[], logger: Logger }) {
    super()
    this.#config = opts.config
    this.#brokers = opts.brokers
    this.#logger = opts.logger
  }

  get kafka (): Kafka {
    if (this.#kafka === undefined) throw new Error('kafka connection is not started')
    return this.#kafka
  }

  protected async doStart (): Promise<void> {
    const brokers = this.#brokers()
    this.#kafka = createKafka(this.#config, brokers, this.#logger)
    this.#admin = this.#kafka.admin()
    await this.#admin.connect()
    const topic = this.#config.topic
    const created = await this.#admin.createTopics({ topics: [{ topic, numPartitions: this.#config.topic_partitions }], waitForLeaders: true })
    this.#logger.info({ brokers, topic, created, partitions: await this.partitionCount() }, 'kafka ready')
  }

  protected async doStop (): Promise<void> {
    await this.#admin?.disconnect()
  }

  /**
   * The first offset of each partition whose record timestamp is >= `timestampMs` (the log end
   * when none is), via ListOffsets by timestamp.
   */
  async offsetsAt (timestampMs: number): Promise<Map<number, string>> {
    if (this.#admin === undefined) throw new Error('kafka connection is not started')
    const offsets = await this.#admin.fetchTopicOffsetsByTimestamp(this.#config.topic, timestampMs)
    return new Map(offsets.map((o) => [o.partition, o.offset]))
  }

  /** The log end offset of each partition (the offset the next record will get). */
  async endOffsets (): Promise<Map<number, string>> {
    const offsets = await this.#adminOrThrow().fetchTopicOffsets(this.#config.topic)
    return new Map(offsets.map((o) => [o.partition, o.high]))
  }

  /** The offsets `groupId` committed for the topic, by partition ('-1' = none). */
  async committedOffsets (groupId: string): Promise<Map<number, string>> {
    const res = await this.#adminOrThrow().fetchOffsets({ groupId, topics: [this.#config.topic] })
    return new Map((res[0]?.partitions ?? []).map((p) => [p.partition, p.offset]))
  }

  #adminOrThrow (): Admin {
    if (this.#admin === undefined) throw new Error('kafka connection is not started')
    return this.#admin
  }

  /** The topic's current partition count (from metadata). */
  async partitionCount (): Promise<number> {
    if (this.#admin === undefined) throw new Error('kafka connection is not started')
    const meta = await this.#admin.fetchTopicMetadata({ topics: [this.#config.topic] })
    return meta.topics[0]?.partitions.length ?? 0
  }
}
