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
import { MessageTooLargeError, PeerUnavailableError, TransportStoppedError } from '../ring/transport/errors.ts'
import { PendingRequests, answerRequest } from '../ring/transport/in-process-requests.ts'
import type { RequestHandler } from '../ring/transport/in-process-requests.ts'
import { defaultMaxMessageBytes, defaultRequestTimeoutMs } from '../ring/transport/options.ts'
import type { MessageValidator } from '../ring/transport/options.ts'
import type { GossipTransport, PeerEvent } from '../ring/transport/types.ts'
import type { Endpoint, SimNetwork } from './network.ts'

export const simAddressPrefix = '/sim/'

export interface SimTransportOptions {
  maxMessageBytes?: number
  requestTimeoutMs?: number
  /** The gossip validator (node/cluster.ts wires `replica.validate` here, as libp2p's topic validator). */
  validate?: MessageValidator
}

export class SimTransport extends ServiceBase implements GossipTransport {
  readonly name = 'gossip-transport'
  readonly localId: string
  readonly #network: SimNetwork
  readonly #maxBytes: number
  readonly #requestTimeoutMs: number
  validate: MessageValidator | undefined
  #running = false
  readonly #messageHandlers = new Set<(from: string, message: Uint8Array) => void>()
  readonly #peerHandlers = new Set<(event: PeerEvent) => void>()
  #requestHandler: RequestHandler | undefined
  readonly #peers = new Set<string>()
  readonly #requests: PendingRequests
  readonly #endpoint: Endpoint

  constructor (id: string, network: SimNetwork, clock: Clock, options: SimTransportOptions = {}) {
    super()
    if (id === '' || id.includes('/')) throw new InvalidArgumentError(`invalid simulated node id ${JSON.stringify(id)}`)
    this.localId = id
    this.#network = network
    this.#maxBytes = options.maxMessageBytes ?? defaultMaxMessageBytes
    this.#requestTimeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs
    this.validate = options.validate
    this.#requests = new PendingRequests(clock)
    this.#endpoint = {
      id,
      running: () => this.#running,
      syncPeer: (peer, up) => this.#syncPeer(peer, up),
      message: (from, bytes) => this.#onMessage(from, bytes),
      request: (from, rid, bytes) => this.#onRequest(from, rid, bytes),
      answer: (from, rid, answer) => this.#requests.answer(from, rid, answer),
      linkLost: (peer) => this.#requests.linkLost(peer),
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
    this.#requests.failAll(() => new TransportStoppedError('finish the request'))
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

  handleRequest (handler: RequestHandler): void {
    this.#requestHandler = handler
  }

  request (peer: string, request: Uint8Array, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<Uint8Array> {
    if (!this.#running) return Promise.reject(new TransportStoppedError('send a request'))
    if (request.byteLength > this.#maxBytes) return Promise.reject(new MessageTooLargeError('request', request.byteLength, this.#maxBytes))
    if (options.signal?.aborted !== true && !this.#network.isUp(this.localId, peer)) return Promise.reject(new PeerUnavailableError(peer, 'not connected'))
    return this.#requests.start(peer, options.timeoutMs ?? this.#requestTimeoutMs, options.signal,
      (id) => this.#network.sendLeg(this.localId, peer, 'request', request, (target, bytes) => target.request(this.localId, id, bytes)))
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
    answerRequest(this.#requestHandler, from, data, this.#maxBytes, (answer) => {
      // A node that crashed while its handler ran sends nothing.
      if (!this.#running) return
      const bytes = answer.ok ? answer.data : new TextEncoder().encode(answer.error)
      this.#network.sendLeg(this.localId, from, 'answer', bytes, (target, b) => target.answer(this.localId, id, answer.ok ? { ok: true, data: b } : answer))
    })
  }
}
