import { Broker } from '../broker/broker.ts'
import type { Logger } from '../common/logger.ts'
import type { NodeConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { createRegistry } from './metrics.ts'
import { createNode } from './node.ts'
import type { LiveStoreNode } from './node.ts'
import { ServiceRunner } from './service-runner.ts'
import { systemClock } from './system-clock.ts'

/**
 * Runs services until SIGINT/SIGTERM, then stops them in reverse order. A second signal, or a
 * stop that outlasts `server.graceful_shutdown_timeout`, exits at once with status 1.
 */
async function runUntilSignal (runner: { start: (signal: AbortSignal) => Promise<void>, stop: () => Promise<void> }, logger: Logger, gracefulMs: number, onStarted: () => void = () => undefined): Promise<void> {
  const controller = new AbortController()
  let stopping: Promise<void> | undefined
  const stop = (signal: string): void => {
    if (stopping !== undefined) { logger.warn({ signal }, 'second signal: exiting now'); process.exit(1) }
    logger.info({ signal }, 'shutting down')
    controller.abort(new Error(`received ${signal}`))
    setTimeout(() => { logger.error('graceful shutdown timed out; exiting'); process.exit(1) }, gracefulMs).unref()
    stopping = runner.stop()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  try {
    await runner.start(controller.signal)
    onStarted()
  } catch (err) {
    if (!controller.signal.aborted) throw err
  }
  await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }))
  await stopping
  logger.info('stopped')
}

export async function runNodeProcess (config: NodeConfig): Promise<void> {
  const logger = createLogger({ level: config.server.log_level })
  const node = createNode({
    config,
    clock: systemClock(),
    logger,
    registry: createRegistry(),
    // A dead broker thread takes the node down (through the normal shutdown), exit status 1.
    onFatal: (err) => { logger.fatal({ err }, 'fatal: stopping the node'); process.exitCode = 1; process.kill(process.pid, 'SIGTERM') },
  })
  await runUntilSignal(node, logger, config.server.graceful_shutdown_timeout, () => process.stdout.write(banner(node, config)))
}

/** What a newcomer needs after `npm start`: where to send OTLP, where to query, an example. */
function banner (node: LiveStoreNode, config: NodeConfig): string {
  const http = node.api.address().port
  const otlp = node.otlpHttp.address().port
  const kafka = node.broker === undefined
    ? `Kafka ${config.kafka.brokers.join(',')}`
    : `embedded Kafka broker on 127.0.0.1:${node.broker.address().port} (data in ${config.broker.data_dir})`
  return [
    '',
    'livestore is ready',
    `  send OTLP traces   http://localhost:${otlp}/v1/traces   (OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:${otlp})`,
    `  query traces       http://localhost:${http}/api/traces/<trace-id>   (Grafana Tempo data source URL: http://localhost:${http})`,
    `  kafka              ${kafka}, topic ${config.kafka.topic}`,
    `  try it             npx livestore gen --traces 20   then   npx livestore trace <trace-id> --url http://localhost:${http}`,
    '',
  ].join('\n')
}

export async function runBrokerProcess (config: NodeConfig): Promise<void> {
  const logger = createLogger({ level: config.server.log_level })
  const broker = new Broker({ config: config.broker, clock: systemClock(), logger: logger.child({ component: 'broker' }), registry: createRegistry() })
  await runUntilSignal(new ServiceRunner([broker], logger), logger, config.server.graceful_shutdown_timeout)
}
