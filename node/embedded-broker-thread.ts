import { parentPort, workerData } from 'node:worker_threads'
import { Broker } from '../broker/broker.ts'
import type { BrokerConfig } from '../broker/config.ts'
import { createLogger } from './logger.ts'
import { createRegistry } from './metrics.ts'
import { systemClock } from './system-clock.ts'

/**
 * The embedded broker's own thread (see embedded-broker.ts): runs the Broker service and answers
 * the main thread's messages: `stop`, and `metrics` (its registry as JSON, merged into the
 * node's /metrics). Reports `listening` with the port, or `failed` with the error.
 */
export type ToBroker = { type: 'stop' } | { type: 'metrics', id: number }
export type FromBroker =
  | { type: 'listening', port: number }
  | { type: 'failed', message: string }
  | { type: 'stopped', error?: string }
  | { type: 'metrics', id: number, metrics: unknown }

const port = parentPort
if (port === null) throw new Error('embedded-broker-thread must run in a worker thread')
const { config, logLevel } = workerData as { config: BrokerConfig, logLevel: string }
const registry = createRegistry({ defaultMetrics: false })
const broker = new Broker({ config, clock: systemClock(), logger: createLogger({ level: logLevel }).child({ component: 'broker' }), registry })
const send = (m: FromBroker): void => port.postMessage(m)

port.on('message', (m: ToBroker) => {
  if (m.type === 'metrics') {
    registry.getMetricsAsJSON().then((metrics) => send({ type: 'metrics', id: m.id, metrics }), () => send({ type: 'metrics', id: m.id, metrics: [] }))
  } else if (m.type === 'stop') {
    broker.stop().then(() => send({ type: 'stopped' }), (err: unknown) => send({ type: 'stopped', error: String(err) }))
  }
})

broker.start(new AbortController().signal).then(
  () => send({ type: 'listening', port: broker.address().port }),
  (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
)
