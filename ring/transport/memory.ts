/**
 * An in-memory `GossipTransport` and the `MemoryNetwork` hub that connects them, for unit tests
 * and the deterministic simulator. It keeps the libp2p transport's contract (the same compliance
 * suite runs against both) without sockets:
 *
 * - Links are made by `dial` and then kept: like the libp2p transport re-dialling the members it
 *   learned, a link comes back by itself when a stopped node with the same id starts again, or a
 *   partition heals. A link is up while both ends run and no `partition` cuts it.
 * - Everything is asynchronous and ordered: messages, request legs and peer events are delivered
 *   after the network latency (through the injected `Clock`, so a manual clock drives it), or in
 *   a microtask when the latency is 0. Each delivery re-checks that the link is still up, so a
 *   partition or a stop loses what was in flight, as a closed connection would.
 * - Limits match libp2p: messages above `maxMessageBytes` are refused on both sides, a request
 *   to a peer that is not connected fails at once, and one that loses its link fails then.
 */
import type { Clock, Timer } from '../../common/clock.ts'
import { InvalidArgumentError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import { ServiceBase } from '../../common/service.ts'
import { MessageTooLargeError, PeerUnavailableError, TransportStoppedError } from './errors.ts'
import { PendingRequests, answerRequest } from './in-process-requests.ts'
import type { Answer, RequestHandler } from './in-process-requests.ts'
import { defaultMaxMessageBytes, defaultRequestTimeoutMs } from './options.ts'
import type { MessageValidator } from './options.ts'
import type { GossipTransport, PeerEvent } from './types.ts'

const addressPrefix = '/memory/'

export interface MemoryNetworkOptions {
  clock: Clock
  /** One-way delivery delay in ms (default 0: delivered in a microtask). */
  latencyMs?: number
}

export interface MemoryTransportOptions {
  maxMessageBytes?: number
  requestTimeoutMs?: number
  validate?: MessageValidator
  /** Where failures of the caller's own handlers are reported. */
  logger?: Logger
}

/** What the network calls on a transport (kept off the transport's public surface). */
interface Endpoint {
  message (from: string, data: Uint8Array): void
  request (from: string, id: number, data: Uint8Array): void
  answer (from: string, id: number, answer: Answer): void
  peerEvent (event: PeerEvent): void
  linkLost (peer: string): void
}

/** What a transport may ask of the network, bound to its own id. */
interface Port {
  started (): void
  stopped (): void
  isUp (peer: string): boolean
  upPeers (): string[]
  /** Schedules `deliver` at `to`; false when the link is down now. */
  send (to: string, deliver: (target: Endpoint) => void): boolean
  dial (to: string): Promise<void>
  forget (peer: string): void
}

interface InFlight { timer: Timer, from: string, to: string, cancelled: () => void }

function pairKey (a: string, b: string): string {
  return a < b ? `${a}\n${b}` : `${b}\n${a}`
}

function pairOf (key: string): [string, string] {
  const i = key.indexOf('\n')
  return [key.slice(0, i), key.slice(i + 1)]
}

export class MemoryNetwork {
  readonly clock: Clock
  #latencyMs: number
  readonly #endpoints = new Map<string, Endpoint>()
  readonly #running = new Set<string>()
  /** Who keeps a link to whom: set by a dial (on both ends, as libp2p learns inbound peers). */
  readonly #wants = new Map<string, Set<string>>()
  readonly #cuts = new Set<string>()
  #up = new Set<string>()
  readonly #inflight = new Set<InFlight>()

  constructor (options: MemoryNetworkOptions) {
    this.clock = options.clock
    this.#latencyMs = options.latencyMs ?? 0
  }

  /**
   * A transport for `id` (addresses `/memory/<id>`). An id may be created again once its previous
   * transport stopped: that is a restart, and the peers that knew it link back to it on start.
   */
  createTransport (id: string, options: MemoryTransportOptions = {}): MemoryTransport {
    if (id === '' || id.includes('/') || id.includes('\n')) throw new InvalidArgumentError(`invalid memory transport id ${JSON.stringify(id)}`)
    if (this.#running.has(id)) throw new InvalidArgumentError(`memory transport ${id} is running; stop it before creating it again`)
    this.#wants.set(id, new Set()) // a restarted node remembers nothing; its peers remember it
    return new MemoryTransport(id, this.clock, options, (endpoint) => this.#attach(id, endpoint))
  }

  /** Cuts the link between `a` and `b` (both directions) until `heal`. */
  partition (a: string, b: string): void {
    this.#cuts.add(pairKey(a, b))
    this.#refresh()
  }

  /** Cuts `id` off from every other node until `heal`. */
  isolate (id: string): void {
    for (const other of this.#endpoints.keys()) if (other !== id) this.#cuts.add(pairKey(id, other))
    this.#refresh()
  }

  /** Removes every partition; the kept links come back up. */
  heal (): void {
    this.#cuts.clear()
    this.#refresh()
  }

  setLatency (ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`latency must be >= 0 ms, got ${ms}`)
    this.#latencyMs = ms
  }

  #attach (id: string, endpoint: Endpoint): Port {
    this.#endpoints.set(id, endpoint)
    const current = (): boolean => this.#endpoints.get(id) === endpoint && this.#running.has(id)
    return {
      started: () => { this.#running.add(id); this.#refresh() },
      stopped: () => {
        if (!current()) return
        this.#running.delete(id)
        for (const f of this.#inflight) if (f.from === id || f.to === id) this.#cancel(f)
        this.#refresh()
      },
      isUp: (peer) => current() && this.#up.has(pairKey(id, peer)),
      upPeers: () => current() ? [...this.#up].map(pairOf).flatMap(([a, b]) => a === id ? [b] : b === id ? [a] : []) : [],
      send: (to, deliver) => {
        const key = pairKey(id, to)
        const target = this.#endpoints.get(to)
        if (!current() || !this.#up.has(key) || target === undefined) return false
        this.#schedule(id, to, () => {
          if (current() && this.#up.has(key) && this.#endpoints.get(to) === target) deliver(target)
        })
        return true
      },
      dial: (to) => this.#dial(id, to),
      forget: (peer) => {
        this.#wants.get(id)?.delete(peer)
        this.#refresh()
      },
    }
  }

  async #dial (from: string, to: string): Promise<void> {
    if (!this.#running.has(to) || this.#cuts.has(pairKey(from, to))) throw new PeerUnavailableError(to, 'unreachable')
    this.#wants.get(from)?.add(to)
    this.#wants.get(to)?.add(from)
    this.#refresh()
    // Resolves after the peer events it caused (same delay, scheduled first), as libp2p's dial
    // resolves once the connection is open.
    await new Promise<void>((resolve, reject) => {
      this.#schedule(from, to, resolve, () => reject(new TransportStoppedError('dial')))
    })
  }

  /** Brings the set of up links in line with who runs, who wants whom and the partitions. */
  #refresh (): void {
    const next = new Set<string>()
    for (const [a, peers] of this.#wants) {
      for (const b of peers) {
        const key = pairKey(a, b)
        if (this.#running.has(a) && this.#running.has(b) && !this.#cuts.has(key)) next.add(key)
      }
    }
    const previous = this.#up
    this.#up = next
    for (const key of previous) {
      if (next.has(key)) continue
      const [a, b] = pairOf(key)
      this.#endpoints.get(a)?.linkLost(b)
      this.#endpoints.get(b)?.linkLost(a)
      this.#notify(a, b, 'down')
    }
    for (const key of next) {
      if (previous.has(key)) continue
      const [a, b] = pairOf(key)
      this.#notify(a, b, 'up')
    }
  }

  #notify (a: string, b: string, type: PeerEvent['type']): void {
    for (const [self, peer] of [[a, b], [b, a]] as const) {
      const endpoint = this.#endpoints.get(self)
      if (endpoint === undefined || !this.#running.has(self)) continue
      this.#schedule(peer, self, () => {
        if (this.#endpoints.get(self) === endpoint && this.#running.has(self)) endpoint.peerEvent({ peer, type })
      })
    }
  }

  #schedule (from: string, to: string, fn: () => void, cancelled: () => void = () => undefined): void {
    if (this.#latencyMs <= 0) {
      queueMicrotask(fn)
      return
    }
    const entry: InFlight = {
      from,
      to,
      cancelled,
      timer: this.clock.setTimeout(() => { this.#inflight.delete(entry); fn() }, this.#latencyMs),
    }
    this.#inflight.add(entry)
  }

  #cancel (entry: InFlight): void {
    this.#inflight.delete(entry)
    entry.timer.cancel()
    entry.cancelled()
  }
}

export class MemoryTransport extends ServiceBase implements GossipTransport {
  readonly name = 'gossip-transport'
  readonly localId: string
  readonly #maxBytes: number
  readonly #requestTimeoutMs: number
  readonly #validate: MessageValidator | undefined
  readonly #logger: Logger | undefined
  readonly #port: Port
  #running = false
  readonly #messageHandlers = new Set<(from: string, message: Uint8Array) => void>()
  readonly #peerHandlers = new Set<(event: PeerEvent) => void>()
  #requestHandler: RequestHandler | undefined
  readonly #peers = new Set<string>()
  readonly #requests: PendingRequests

  /** Use `MemoryNetwork.createTransport`. */
  constructor (id: string, clock: Clock, options: MemoryTransportOptions, attach: (endpoint: Endpoint) => Port) {
    super()
    this.localId = id
    this.#maxBytes = options.maxMessageBytes ?? defaultMaxMessageBytes
    this.#requestTimeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs
    this.#validate = options.validate
    this.#logger = options.logger
    this.#requests = new PendingRequests(clock)
    this.#port = attach({
      message: (from, data) => this.#onMessage(from, data),
      request: (from, id, data) => this.#onRequest(from, id, data),
      answer: (from, id, answer) => this.#requests.answer(from, id, answer),
      peerEvent: (event) => this.#onPeerEvent(event),
      linkLost: (peer) => this.#requests.linkLost(peer),
    })
  }

  addresses (): string[] {
    return [addressPrefix + this.localId]
  }

  protected override async doStart (): Promise<void> {
    this.#running = true
    this.#port.started()
  }

  protected override async doStop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#requests.failAll(() => new TransportStoppedError('finish the request'))
    this.#peers.clear()
    this.#port.stopped()
  }

  async publish (message: Uint8Array): Promise<void> {
    if (!this.#running) throw new TransportStoppedError('publish')
    if (message.byteLength > this.#maxBytes) throw new MessageTooLargeError('gossip message', message.byteLength, this.#maxBytes)
    for (const peer of this.#port.upPeers()) {
      const copy = message.slice()
      this.#port.send(peer, (target) => target.message(this.localId, copy))
    }
  }

  onMessage (handler: (from: string, message: Uint8Array) => void): () => void {
    const h = (from: string, message: Uint8Array): void => handler(from, message)
    this.#messageHandlers.add(h)
    return () => { this.#messageHandlers.delete(h) }
  }

  handleRequest (handler: RequestHandler): void {
    this.#requestHandler = handler
  }

  request (peer: string, request: Uint8Array, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<Uint8Array> {
    if (!this.#running) return Promise.reject(new TransportStoppedError('send a request'))
    if (request.byteLength > this.#maxBytes) return Promise.reject(new MessageTooLargeError('request', request.byteLength, this.#maxBytes))
    if (options.signal?.aborted !== true && !this.#port.isUp(peer)) return Promise.reject(new PeerUnavailableError(peer, 'not connected'))
    const copy = request.slice()
    return this.#requests.start(peer, options.timeoutMs ?? this.#requestTimeoutMs, options.signal, (id) => this.#port.send(peer, (target) => target.request(this.localId, id, copy)))
  }

  async dial (address: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    if (!this.#running) throw new TransportStoppedError('dial')
    options.signal?.throwIfAborted()
    if (!address.startsWith(addressPrefix)) throw new InvalidArgumentError(`not a memory transport address: ${address}`)
    const peer = address.slice(addressPrefix.length)
    if (peer === this.localId) throw new InvalidArgumentError(`${address} is this node's own address`)
    await this.#port.dial(peer)
    return peer
  }

  /** Stops keeping a link to `peer` (the member left the ring); it drops unless the peer keeps it. */
  forget (peer: string): void {
    this.#port.forget(peer)
  }

  peers (): string[] {
    return [...this.#peers]
  }

  onPeer (handler: (event: PeerEvent) => void): () => void {
    const h = (event: PeerEvent): void => handler(event)
    this.#peerHandlers.add(h)
    return () => { this.#peerHandlers.delete(h) }
  }

  #onMessage (from: string, data: Uint8Array): void {
    if (!this.#running) return
    if (data.byteLength > this.#maxBytes) return
    if (this.#validate !== undefined && this.#validate(from, data) !== 'accept') return
    for (const h of [...this.#messageHandlers]) this.#call('message handler', () => h(from, data))
  }

  #onRequest (from: string, id: number, data: Uint8Array): void {
    answerRequest(this.#requestHandler, from, data, this.#maxBytes, (answer) => {
      const copied: Answer = answer.ok ? { ok: true, data: answer.data.slice() } : answer
      this.#port.send(from, (target) => target.answer(this.localId, id, copied))
    })
  }

  #onPeerEvent (event: PeerEvent): void {
    if (!this.#running) return
    if (event.type === 'up') this.#peers.add(event.peer)
    else this.#peers.delete(event.peer)
    for (const h of [...this.#peerHandlers]) this.#call('peer handler', () => h(event))
  }

  #call (what: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.#logger?.warn({ err }, `gossip ${what} threw`)
    }
  }
}
