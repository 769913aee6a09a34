import { Broker } from '../broker/broker.ts'
import type { Logger } from '../common/logger.ts'
import type { NodeConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { createRegistry } from './metrics.ts'
import { createNode } from './node.ts'
import { ServiceRunner } from './service-runner.ts'
import { systemClock } from './system-clock.ts'

/**
 * Runs services until SIGINT/SIGTERM, then stops them in reverse order. A second signal, or a
 * stop that outlasts `server.graceful_shutdown_timeout`, exits at once with status 1.
 */
async function runUntilSignal (runner: ServiceRunner, logger: Logger, gracefulMs: number): Promise<void> {
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
  } catch (err) {
    if (!controller.signal.aborted) throw err
  }
  await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }))
  await stopping
  logger.info('stopped')
}

export async function runNodeProcess (config: NodeConfig): Promise<void> {
  const logger = createLogger({ level: config.server.log_level })
  const node = createNode({ config, clock: systemClock(), logger, registry: createRegistry() })
  await runUntilSignal(node.runner, logger, config.server.graceful_shutdown_timeout)
}

export async function runBrokerProcess (config: NodeConfig): Promise<void> {
  const logger = createLogger({ level: config.server.log_level })
  const broker = new Broker({ config: config.broker, clock: systemClock(), logger: logger.child({ component: 'broker' }), registry: createRegistry() })
  await runUntilSignal(new ServiceRunner([broker], logger), logger, config.server.graceful_shutdown_timeout)
}
