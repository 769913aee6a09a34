import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { Logger } from '../common/logger.ts'
import { ServiceBase } from '../common/service.ts'
import type { Service } from '../common/service.ts'

export interface OpsServerOptions {
  host: string
  port: number
  registry: Registry
  logger: Logger
  /** The services whose states make up readiness. */
  services: () => readonly Service[]
  /** The effective config, served at /status/config. */
  config: unknown
}

/**
 * The operational HTTP endpoints every node has: `/metrics` (Prometheus), `/ready` (200 only when
 * every service is running, 503 with the states otherwise) and `/status/config`. The query API
 * joins this server when query/ lands.
 */
export class OpsServer extends ServiceBase {
  readonly name = 'http'
  readonly #opts: OpsServerOptions
  #server: Server | undefined

  constructor (opts: OpsServerOptions) {
    super()
    this.#opts = opts
  }

  address (): AddressInfo {
    const a = this.#server?.address()
    if (a === null || a === undefined || typeof a === 'string') throw new Error('http server is not listening')
    return a
  }

  protected async doStart (): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      const send = (status: number, type: string, body: string): void => {
        res.writeHead(status, { 'content-type': type }).end(body)
      }
      if (req.method !== 'GET') { send(405, 'text/plain', 'method not allowed\n'); return }
      if (path === '/metrics') {
        this.#opts.registry.metrics().then((m) => send(200, this.#opts.registry.contentType, m), (err: unknown) => send(500, 'text/plain', String(err)))
      } else if (path === '/ready') {
        const notReady = this.#opts.services().filter((s) => s.state !== 'running')
        if (notReady.length === 0) send(200, 'text/plain', 'ready\n')
        else send(503, 'text/plain', notReady.map((s) => `${s.name}: ${s.state}`).join('\n') + '\n')
      } else if (path === '/status/config') {
        send(200, 'application/json', JSON.stringify(this.#opts.config, null, 2))
      } else {
        send(404, 'text/plain', 'not found\n')
      }
    })
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#opts.port, this.#opts.host, () => { server.off('error', reject); resolve() })
    })
    this.#opts.logger.info({ address: this.address() }, 'http server listening')
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
