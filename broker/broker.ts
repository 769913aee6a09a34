import { setMaxListeners } from 'node:events'
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import { ServiceBase } from '../common/service.ts'
import type { BrokerConfig } from './config.ts'
import { GroupCoordinator } from './group/coordinator.ts'
import type { BrokerContext } from './handlers/context.ts'
import { createDispatcher } from './handlers/dispatch.ts'
import { createBrokerMetrics } from './metrics.ts'
import type { BrokerMetrics } from './metrics.ts'
import { FrameServer } from './server.ts'
import type { StorageConfig } from './storage/config.ts'
import { LogManager } from './storage/log-manager.ts'
import { OffsetStore } from './storage/offset-store.ts'

export interface BrokerDeps {
  config: BrokerConfig
  clock: Clock
  logger: Logger
  registry: Registry
}

/** Maps the user-facing broker config onto the storage layer's settings. */
export function storageConfigOf (c: BrokerConfig): Partial<StorageConfig> {
  return {
    segmentBytes: c.log_segment_bytes,
    retentionMs: c.log_retention === 0 ? -1 : c.log_retention,
    retentionBytes: c.log_retention_bytes,
    fsync: c.fsync,
    fsyncIntervalMs: c.fsync_interval,
  }
}

/**
 * The embedded Kafka-compatible broker as a Service: storage (partition logs, committed offsets),
 * the group coordinator and the TCP server. Start opens and recovers storage before listening;
 * stop ends long polls and pending joins, closes connections, then flushes and closes storage.
 */
export class Broker extends ServiceBase {
  readonly name = 'broker'
  readonly #deps: BrokerDeps
  readonly #metrics: BrokerMetrics
  readonly #stopping = new AbortController()
  #logs: LogManager | undefined
  #offsets: OffsetStore | undefined
  #groups: GroupCoordinator | undefined
  #server: FrameServer | undefined
  #retention: Timer | undefined

  constructor (deps: BrokerDeps) {
    super()
    this.#deps = deps
    this.#metrics = createBrokerMetrics(deps.registry)
    // Every waiting Fetch listens on this signal; hundreds at once are normal.
    setMaxListeners(Infinity, this.#stopping.signal)
  }

  /** The listening address (valid once started). */
  address (): AddressInfo {
    if (this.#server === undefined) throw new Error('broker is not started')
    return this.#server.address()
  }

  protected async doStart (): Promise<void> {
    const { config, clock, logger } = this.#deps
    const metrics = this.#metrics
    mkdirSync(config.data_dir, { recursive: true })
    this.#logs = await LogManager.open({ dataDir: config.data_dir, clock, logger, config: storageConfigOf(config), onFsync: () => metrics.fsyncs.inc() })
    this.#offsets = await OffsetStore.open({ dataDir: config.data_dir, logger })
    this.#groups = new GroupCoordinator({
      clock,
      logger,
      initialRebalanceDelayMs: config.group_initial_rebalance_delay,
      minSessionTimeoutMs: config.group_min_session_timeout,
      maxSessionTimeoutMs: config.group_max_session_timeout,
      onRebalance: () => metrics.rebalances.inc(),
    })
    const ctx: BrokerContext = {
      config,
      logs: this.#logs,
      offsets: this.#offsets,
      groups: this.#groups,
      clock,
      logger,
      metrics,
      advertised: () => ({ nodeId: config.node_id, host: this.#advertisedHost(), port: this.address().port }),
      signal: this.#stopping.signal,
    }
    this.#server = new FrameServer({
      host: config.host,
      port: config.port,
      maxFrameBytes: config.max_frame_bytes,
      maxConnections: config.max_connections,
      idleTimeoutMs: config.connection_idle_timeout,
      clock,
      logger,
      metrics,
      handle: createDispatcher(ctx),
    })
    const address = await this.#server.listen()
    this.#retention = clock.setInterval(() => {
      try {
        this.#logs?.runRetention()
      } catch (err) {
        logger.error({ err }, 'retention failed')
      }
    }, config.retention_check_interval)
    logger.info({ host: address.address, port: address.port, advertised: `${this.#advertisedHost()}:${address.port}`, dataDir: config.data_dir }, 'broker listening')
  }

  protected async doStop (): Promise<void> {
    this.#stopping.abort(new Error('broker stopping'))
    this.#retention?.cancel()
    this.#groups?.stop()
    const errors: unknown[] = []
    for (const step of [() => this.#server?.close(), () => this.#offsets?.close(), () => this.#logs?.close()]) {
      try { await step() } catch (err) { errors.push(err) }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'broker did not stop cleanly')
  }

  #advertisedHost (): string {
    const { advertised_host: advertised, host } = this.#deps.config
    if (advertised !== '') return advertised
    return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  }
}
