import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { BadRequestReason, BrokerMetrics } from './metrics.ts'

/** Thrown by a request handler to drop the connection (Kafka's answer to malformed input). */
export class CloseConnection extends Error {
  constructor (readonly reason: BadRequestReason, message: string) { super(message) }
}

export interface ConnectionInfo { readonly id: number, readonly remote: string }

/**
 * Handles one request frame (without its size prefix); resolves to the whole response frame as
 * chunks (written with one corked write, so record data is never copied), or null (acks=0).
 */
export type FrameHandler = (frame: Buffer, conn: ConnectionInfo) => Promise<Buffer[] | null>

export interface FrameServerOptions {
  host: string
  port: number
  maxFrameBytes: number
  maxConnections: number
  idleTimeoutMs: number
  /** Requests a connection may have in flight before reading pauses (Kafka mutes the channel). */
  maxInFlight?: number
  clock: Clock
  logger: Logger
  metrics: BrokerMetrics
  handle: FrameHandler
}

interface Pending { done: boolean, response: Buffer[] | null }

/**
 * The TCP side of the broker: size-prefixed framing, in-order responses and bad-input policy.
 * Requests on one connection are handled concurrently (so pipelined produce requests share one
 * fsync) but answered strictly in request order, as Kafka clients require. A frame whose size is
 * negative or above `maxFrameBytes` closes the connection before its body is buffered.
 */
export class FrameServer {
  readonly #opts: FrameServerOptions
  readonly #sockets = new Map<Socket, { lastActive: number }>()
  #server: Server | undefined
  #sweeper: Timer | undefined
  #nextId = 1

  constructor (opts: FrameServerOptions) { this.#opts = opts }

  async listen (): Promise<AddressInfo> {
    const server = createServer((socket) => this.#accept(socket))
    server.maxConnections = this.#opts.maxConnections + 1 // we refuse the extra one ourselves, counted
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#opts.port, this.#opts.host, () => { server.off('error', reject); resolve() })
    })
    const sweepEvery = Math.max(1000, Math.min(60_000, Math.floor(this.#opts.idleTimeoutMs / 4)))
    this.#sweeper = this.#opts.clock.setInterval(() => this.#closeIdle(), sweepEvery)
    return this.address()
  }

  address (): AddressInfo {
    const a = this.#server?.address()
    if (a === null || a === undefined || typeof a === 'string') throw new Error('broker is not listening')
    return a
  }

  async close (): Promise<void> {
    this.#sweeper?.cancel()
    const server = this.#server
    if (server === undefined) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const s of this.#sockets.keys()) s.destroy()
    await closed
  }

  #closeIdle (): void {
    const cutoff = this.#opts.clock.now() - this.#opts.idleTimeoutMs
    for (const [s, st] of this.#sockets) if (st.lastActive < cutoff) s.destroy()
  }

  #accept (socket: Socket): void {
    const { metrics, logger } = this.#opts
    if (this.#sockets.size >= this.#opts.maxConnections) {
      metrics.badRequests.inc({ reason: 'too_many_connections' })
      socket.destroy()
      return
    }
    const conn: ConnectionInfo = { id: this.#nextId++, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` }
    const state = { lastActive: this.#opts.clock.now() }
    this.#sockets.set(socket, state)
    metrics.connections.inc()
    socket.setNoDelay(true)

    const maxInFlight = this.#opts.maxInFlight ?? 64
    const queue: Pending[] = []
    let chunks: Buffer[] = []
    let buffered = 0
    let closed = false

    const drop = (reason: BadRequestReason, message: string): void => {
      if (closed) return
      closed = true
      metrics.badRequests.inc({ reason })
      logger.debug({ conn: conn.remote, reason, message }, 'closing connection on bad input')
      socket.destroy()
    }

    const flush = (): void => {
      while (queue.length > 0 && (queue[0] as Pending).done) {
        const p = queue.shift() as Pending
        if (p.response !== null && !closed) {
          socket.cork()
          for (const chunk of p.response) {
            metrics.bytesOut.inc(chunk.length)
            socket.write(chunk)
          }
          socket.uncork()
        }
      }
      // A client that does not read its responses must not make us buffer without bound.
      if (socket.writableLength >= 16 * 1024 * 1024) { socket.pause(); return }
      if (queue.length < maxInFlight && socket.isPaused() && socket.writableLength < 16 * 1024 * 1024) socket.resume()
    }

    const dispatch = (frame: Buffer): void => {
      const p: Pending = { done: false, response: null }
      queue.push(p)
      if (queue.length >= maxInFlight) socket.pause()
      this.#opts.handle(frame, conn).then((response) => {
        p.done = true
        p.response = response
        flush()
      }, (err: unknown) => {
        if (err instanceof CloseConnection) drop(err.reason, err.message)
        else { logger.error({ err, conn: conn.remote }, 'request handler failed'); drop('handler_error', String(err)) }
      })
    }

    socket.on('data', (chunk: Buffer) => {
      state.lastActive = this.#opts.clock.now()
      metrics.bytesIn.inc(chunk.length)
      chunks.push(chunk)
      buffered += chunk.length
      while (!closed && buffered >= 4) {
        const head = chunks[0] as Buffer
        const size = head.length >= 4 ? head.readInt32BE(0) : Buffer.concat(chunks).readInt32BE(0)
        if (size < 0) { drop('negative_frame_size', `frame size ${size}`); return }
        if (size > this.#opts.maxFrameBytes) { drop('frame_too_large', `frame size ${size} > ${this.#opts.maxFrameBytes}`); return }
        if (buffered < 4 + size) break
        const all = chunks.length === 1 ? head : Buffer.concat(chunks, buffered)
        dispatch(all.subarray(4, 4 + size))
        const rest = all.subarray(4 + size)
        chunks = rest.length > 0 ? [rest] : []
        buffered = rest.length
      }
    })
    socket.on('drain', flush)
    socket.on('error', (err) => logger.debug({ err, conn: conn.remote }, 'connection error'))
    socket.on('close', () => {
      closed = true
      this.#sockets.delete(socket)
      metrics.connections.dec()
    })
  }
}
