import type { Registry } from 'prom-client'
import { Broker } from '../broker/broker.ts'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Service } from '../common/service.ts'
import type { NodeConfig } from './config.ts'
import { OpsServer } from './ops-server.ts'
import { ServiceRunner } from './service-runner.ts'

export interface NodeDeps {
  config: NodeConfig
  clock: Clock
  logger: Logger
  registry: Registry
}

export interface LiveStoreNode {
  readonly runner: ServiceRunner
  readonly services: readonly Service[]
  /** The embedded broker, when `kafka.brokers` is empty. */
  readonly broker: Broker | undefined
  readonly http: OpsServer
}

/**
 * Composes one node: the services in start order (embedded broker first, when no external Kafka
 * is configured; the HTTP server last, so /ready only answers once the rest is up).
 */
export function createNode ({ config, clock, logger, registry }: NodeDeps): LiveStoreNode {
  const services: Service[] = []
  const broker = config.kafka.brokers.length === 0
    ? new Broker({ config: config.broker, clock, logger: logger.child({ component: 'broker' }), registry })
    : undefined
  if (broker !== undefined) services.push(broker)
  const http = new OpsServer({
    host: config.server.http_listen_address,
    port: config.server.http_listen_port,
    registry,
    logger: logger.child({ component: 'http' }),
    services: () => services,
    config,
  })
  services.push(http)
  return { runner: new ServiceRunner(services, logger), services, broker, http }
}
