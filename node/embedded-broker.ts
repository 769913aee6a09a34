import { Worker } from 'node:worker_threads'
import { AggregatorRegistry } from 'prom-client'
import type { Registry } from 'prom-client'
import type { BrokerConfig } from '../broker/config.ts'
import type { Logger } from '../common/logger.ts'
import { ServiceBase } from '../common/service.ts'
import type { FromBroker, ToBroker } from './embedded-broker-thread.ts'

/**
 * The embedded Kafka broker of `livestore start`, run in its own worker thread so its CRC checks,
 * writes and fsyncs use the second core instead of the node's event loop (measured: the broker
 * was ~14% of the node's main thread under ingest load). Same process: signals and exit take it
 * along. Its metrics are merged into the node's /metrics by `registryWithBroker`.
 */
export class EmbeddedBroker extends ServiceBase {
  readonly name = 'broker'
  readonly #config: BrokerConfig
  readonly #logLevel: string
  readonly #logger: Logger
  readonly #onCrash: (err: Error) => void
  #worker: Worker | undefined
  #port = 0
  #stopping = false
  #nextId = 0
  readonly #pending = new Map<number, (metrics: object[]) => void>()

  constructor (opts: { config: BrokerConfig, logLevel: string, logger: Logger, onCrash: (err: Error) => void }) {
    super()
    this.#config = opts.config
    this.#logLevel = opts.logLevel
    this.#logger = opts.logger
    this.#onCrash = opts.onCrash
  }

  address (): { port: number } {
    if (this.#port === 0) throw new Error('embedded broker is not listening')
    return { port: this.#port }
  }

  protected async doStart (): Promise<void> {
    // execArgv: [] — the entry registers its own loader; inherited --import flags (the test runner's) would race it.
    const worker = new Worker(new URL('./embedded-broker-worker.js', import.meta.url), { workerData: { config: this.#config, logLevel: this.#logLevel }, execArgv: [] })
    this.#worker = worker
    worker.on('message', (m: FromBroker) => { if (m.type === 'metrics') this.#pending.get(m.id)?.(m.metrics as object[]) })
    this.#port = await new Promise<number>((resolve, reject) => {
      const onMessage = (m: FromBroker): void => {
        if (m.type === 'listening') { worker.off('message', onMessage); resolve(m.port) }
        if (m.type === 'failed') { worker.off('message', onMessage); reject(new Error(`embedded broker failed to start: ${m.message}`)) }
      }
      worker.on('message', onMessage)
      worker.once('error', reject)
    })
    worker.on('error', (err) => { this.#logger.error({ err }, 'embedded broker thread failed') })
    worker.on('exit', (code) => {
      if (this.#stopping) return
      this.#logger.error({ code }, 'embedded broker thread exited')
      this.#onCrash(new Error(`embedded broker thread exited with code ${code}`))
    })
  }

  protected async doStop (): Promise<void> {
    const worker = this.#worker
    if (worker === undefined) return
    this.#stopping = true
    const stopped = new Promise<FromBroker>((resolve) => {
      worker.on('message', (m: FromBroker) => { if (m.type === 'stopped') resolve(m) })
      worker.once('exit', () => resolve({ type: 'stopped' }))
    })
    worker.postMessage({ type: 'stop' } satisfies ToBroker)
    const result = await stopped
    await worker.terminate()
    if (result.type === 'stopped' && result.error !== undefined) throw new Error(`embedded broker did not stop cleanly: ${result.error}`)
  }

  /** The broker thread's metrics as prom-client JSON (empty when it is not running). */
  metricsJson (): Promise<object[]> {
    const worker = this.#worker
    if (worker === undefined || this.#stopping) return Promise.resolve([])
    const id = this.#nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#pending.delete(id); resolve([]) }, 2000)
      this.#pending.set(id, (m) => { clearTimeout(timer); this.#pending.delete(id); resolve(m) })
      worker.postMessage({ type: 'metrics', id } satisfies ToBroker)
    })
  }
}

/** What /metrics serves: the node's registry plus the broker thread's metrics. */
export function registryWithBroker (registry: Registry, broker: EmbeddedBroker): Pick<Registry, 'metrics' | 'contentType'> {
  return {
    contentType: registry.contentType,
    async metrics () {
      const [own, theirs] = await Promise.all([registry.getMetricsAsJSON(), broker.metricsJson()])
      return await AggregatorRegistry.aggregate([own, theirs]).metrics()
    },
  }
}
