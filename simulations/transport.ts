/**
 * A `GossipTransport` (ring/transport/types.ts) on the simulated network: what the ring's
 * `RingReplica` talks through in a simulation. It keeps the contract the compliance suite pins
 * (ring/transport/compliance.ts, run against it in transport.test.ts), like the memory
 * transport it is modelled on, with the network's latency, loss and cuts in between.
 *
 * Messages are not copied per receiver (a publish hands one buffer to every peer): nothing in the
 * ring mutates received bytes, and copying 1,000 times per heartbeat would dominate a large run.
 */
import type { Clock } from '../common/clock.ts'
import { InvalidArgumentError } from '../common/errors.ts'
import { ServiceBase } from '../common/service.ts'
import { MessageTooLargeError, PeerUnavailableError, RemoteHandlerError, RequestTimeoutError, TransportStoppedError } from '../ring/transport/errors.ts'
import { defaultMaxMessageBytes, defaultRequestTimeoutMs, errorText } from '../ring/transport/options.ts'
import type { MessageValidator } from '../ring/transport/options.ts'
import type { GossipTransport, PeerEvent } from '../ring/transport/types.ts'
import type { Answer, Endpoint, SimNetwork } from './network.ts'

export const simAddressPrefix = '/sim/'

export interface SimTransportOptions {
  maxMessageBytes?: number
  requestTimeoutMs?: number
  /** The gossip validator (node/cluster.ts wires `replica.validate` here, as libp2p's topic validator). */
  validate?: MessageValidator
}

interface Pending {
  peer: string
  settle: (outcome: () => void) => void
  reject: (err: unknown) => void
  resolve: (data: Uint8Array) => void
}

export class SimTransport extends ServiceBase implements GossipTransport {
  readonly name = 'gossip-transport'
  readonly localId: string
  readonly #network: SimNetwork
  readonly #clock: Clock
  readonly #maxBytes: number
  readonly #requestTimeoutMs: number
  validate: MessageValidator | undefined
  #running = false
  readonly #messageHandlers = new Set<(from: string, message: Uint8Array) => void>()
  readonly #peerHandlers = new Set<(event: PeerEvent) => void>()
  #requestHandler: ((from: string, request: Uint8Array) => Promise<Uint8Array>) | undefined
  readonly #peers = new Set<string>()
  readonly #pending = new Map<number, Pending>()
  #nextRequestId = 0
  readonly #endpoint: Endpoint

  constructor (id: string, network: SimNetwork, clock: Clock, options: SimTransportOptions = {}) {
    super()
    if (id === '' || id.includes('/')) throw new InvalidArgumentError(`invalid simulated node id ${JSON.stringify(id)}`)
    this.localId = id
    this.#network = network
    this.#clock = clock
    this.#maxBytes = options.maxMessageBytes ?? defaultMaxMessageBytes
    this.#requestTimeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs
    this.validate = options.validate
    this.#endpoint = {
      id,
      running: () => this.#running,
      syncPeer: (peer, up) => this.#syncPeer(peer, up),
      message: (from, bytes) => this.#onMessage(from, bytes),
      request: (from, rid, bytes) => this.#onRequest(from, rid, bytes),
      answer: (from, rid, answer) => this.#onAnswer(from, rid, answer),
      linkLost: (peer) => this.#onLinkLost(peer),
    }
    network.attach(this.#endpoint)
  }

  addresses (): string[] {
    return [simAddressPrefix + this.localId]
  }

  protected override async doStart (): Promise<void> {
    this.#running = true
    this.#network.changed(this.localId)
  }

  protected override async doStop (): Promise<void> {
    this.kill()
  }

  /** Stops at once (a crash, or the end of `stop`): links drop, pending requests fail. */
  kill (): void {
    if (!this.#running) return
    this.#running = false
    for (const p of [...this.#pending.values()]) p.settle(() => p.reject(new TransportStoppedError('finish the request')))
    this.#peers.clear()
    this.#network.changed(this.localId)
  }

  async publish (message: Uint8Array): Promise<void> {
    if (!this.#running) throw new TransportStoppedError('publish')
    if (message.byteLength > this.#maxBytes) throw new MessageTooLargeError('gossip message', message.byteLength, this.#maxBytes)
    for (const peer of this.#network.upPeers(this.localId)) this.#network.sendMessage(this.localId, peer, message)
  }

  onMessage (handler: (from: string, message: Uint8Array) => void): () => void {
    const h = (from: string, message: Uint8Array): void => handler(from, message)
    this.#messageHandlers.add(h)
    return () => { this.#messageHandlers.delete(h) }
  }

  handleRequest (handler: (from: string, request: Uint8Array) => Promise<Uint8Array>): void {
    this.#requestHandler = handler
  }

  request (peer: string, request: Uint8Array, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<Uint8Array> {
    if (!this.#running) return Promise.reject(new TransportStoppedError('send a request'))
    if (request.byteLength > this.#maxBytes) return Promise.reject(new MessageTooLargeError('request', request.byteLength, this.#maxBytes))
    const { signal } = options
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    if (!this.#network.isUp(this.localId, peer)) return Promise.reject(new PeerUnavailableError(peer, 'not connected'))
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs
    const id = ++this.#nextRequestId
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = (): void => pending.settle(() => reject(signal?.reason))
      const timer = this.#clock.setTimeout(() => pending.settle(() => reject(new RequestTimeoutError(peer, timeoutMs))), timeoutMs)
      const pending: Pending = {
        peer,
        resolve,
        reject,
        settle: (outcome) => {
          if (!this.#pending.delete(id)) return
          timer.cancel()
          signal?.removeEventListener('abort', onAbort)
          outcome()
        },
      }
      this.#pending.set(id, pending)
      signal?.addEventListener('abort', onAbort, { once: true })
      const sent = this.#network.sendLeg(this.localId, peer, 'request', request, (target, bytes) => target.request(this.localId, id, bytes))
      if (!sent) pending.settle(() => reject(new PeerUnavailableError(peer, 'not connected')))
    })
  }

  async dial (address: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    if (!this.#running) throw new TransportStoppedError('dial')
    options.signal?.throwIfAborted()
    if (!address.startsWith(simAddressPrefix)) throw new InvalidArgumentError(`not a simulated address: ${address}`)
    const peer = address.slice(simAddressPrefix.length)
    if (peer === this.localId) throw new InvalidArgumentError(`${address} is this node's own address`)
    await this.#network.dial(this.localId, peer)
    return peer
  }

  /** Stops keeping the link to `peer`; it drops unless the peer keeps it. */
  forget (peer: string): void {
    this.#network.forget(this.localId, peer)
  }

  peers (): string[] {
    return [...this.#peers]
  }

  onPeer (handler: (event: PeerEvent) => void): () => void {
    const h = (event: PeerEvent): void => handler(event)
    this.#peerHandlers.add(h)
    return () => { this.#peerHandlers.delete(h) }
  }

  #syncPeer (peer: string, up: boolean): void {
    if (!this.#running || up === this.#peers.has(peer)) return
    if (up) this.#peers.add(peer)
    else this.#peers.delete(peer)
    const event: PeerEvent = { peer, type: up ? 'up' : 'down' }
    for (const h of [...this.#peerHandlers]) h(event)
  }

  #onMessage (from: string, data: Uint8Array): void {
    if (!this.#running || data.byteLength > this.#maxBytes) return
    if (this.validate !== undefined && this.validate(from, data) !== 'accept') return
    for (const h of [...this.#messageHandlers]) h(from, data)
  }

  #onRequest (from: string, id: number, data: Uint8Array): void {
    const reply = (answer: Answer): void => {
      const bytes = answer.ok ? answer.data : new TextEncoder().encode(answer.error)
      this.#network.sendLeg(this.localId, from, 'answer', bytes, (target, b) => target.answer(this.localId, id, answer.ok ? { ok: true, data: b } : answer))
    }
    const handler = this.#requestHandler
    if (handler === undefined) {
      reply({ ok: false, error: 'no request handler' })
      return
    }
    Promise.resolve()
      .then(() => handler(from, data))
      .then((response) => {
        if (!this.#running) return
        if (response.byteLength > this.#maxBytes) reply({ ok: false, error: new MessageTooLargeError('response', response.byteLength, this.#maxBytes).message })
        else reply({ ok: true, data: response })
      }, (err: unknown) => { if (this.#running) reply({ ok: false, error: errorText(err) }) })
  }

  #onAnswer (from: string, id: number, answer: Answer): void {
    const pending = this.#pending.get(id)
    if (pending === undefined || pending.peer !== from) return
    if (answer.ok) pending.settle(() => pending.resolve(answer.data))
    else pending.settle(() => pending.reject(new RemoteHandlerError(from, answer.error)))
  }

  #onLinkLost (peer: string): void {
    for (const p of [...this.#pending.values()]) {
      if (p.peer === peer) p.settle(() => p.reject(new PeerUnavailableError(peer, 'connection lost')))
    }
  }
}
