import { createAdaptorServer } from '@hono/node-server'
import type { Hono } from 'hono'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../common/logger.ts'
import { ServiceBase } from '../common/service.ts'

/** Serves a Hono app on a TCP port as a Service (the query API, the OTLP/HTTP receiver). */
export class HttpService extends ServiceBase {
  readonly name: string
  readonly #app: Hono
  readonly #host: string
  readonly #port: number
  readonly #logger: Logger
  #server: Server | undefined

  constructor (opts: { name: string, app: Hono, host: string, port: number, logger: Logger }) {
    super()
    this.name = opts.name
    this.#app = opts.app
    this.#host = opts.host
    this.#port = opts.port
    this.#logger = opts.logger
  }

  address (): AddressInfo {
    const a = this.#server?.address()
    if (a === null || a === undefined || typeof a === 'string') throw new Error(`${this.name} is not listening`)
    return a
  }

  protected async doStart (): Promise<void> {
    const server = createAdaptorServer({ fetch: this.#app.fetch }) as Server
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#port, this.#host, () => { server.off('error', reject); resolve() })
    })
    this.#logger.info({ service: this.name, address: this.address() }, 'http server listening')
  }

  protected async doStop (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
