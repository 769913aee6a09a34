import type { Logger } from '../common/logger.ts'
import type { Service } from '../common/service.ts'

/**
 * Starts services in dependency order and stops them in reverse (dskit's Manager, tempo's
 * `starting`/`stopping`). If one fails to start, those already started are stopped before the
 * error is rethrown. Stop never bails out halfway: every service is asked to stop and all
 * failures are collected into one AggregateError.
 */
export class ServiceRunner {
  readonly #services: readonly Service[]
  readonly #logger: Logger
  #started: Service[] = []

  constructor (services: readonly Service[], logger: Logger) {
    this.#services = services
    this.#logger = logger
  }

  async start (signal: AbortSignal): Promise<void> {
    for (const s of this.#services) {
      const t0 = performance.now()
      this.#logger.info({ service: s.name }, 'starting service')
      try {
        this.#started.push(s)
        await s.start(signal)
      } catch (err) {
        this.#logger.error({ service: s.name, err }, 'service failed to start; stopping the others')
        await this.stop().catch(() => undefined)
        throw err
      }
      this.#logger.info({ service: s.name, ms: Math.round(performance.now() - t0) }, 'service started')
    }
  }

  async stop (): Promise<void> {
    const errors: unknown[] = []
    for (const s of [...this.#started].reverse()) {
      try {
        await s.stop()
        this.#logger.info({ service: s.name }, 'service stopped')
      } catch (err) {
        this.#logger.error({ service: s.name, err }, 'service failed to stop cleanly')
        errors.push(err)
      }
    }
    this.#started = []
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} service(s) failed to stop`)
  }
}
