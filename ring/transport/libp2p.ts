/**
 * The production `GossipTransport`: libp2p 3 (libp2p-node.ts has the configuration and its
 * reasons). Deltas go over one gossipsub topic (StrictSign), full-state push/pull over a
 * request/response protocol (request-protocol.ts), and every host without the cluster key is
 * refused during the connection handshake.
 *
 * Membership: every peer this node dials, or that connects to it, is a member, and members are
 * kept connected: after a disconnect they are re-dialled with capped exponential backoff
 * (redial.ts) until they come back, `forget` is called, or the transport stops. libp2p itself
 * never retries (measurements.md pitfalls 4–6). Peers learn each other's listen addresses through
 * identify, so a restarted node listening on the same address is found again by everyone.
 */
import { setMaxListeners } from 'node:events'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Message } from '@libp2p/gossipsub'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Clock } from '../../common/clock.ts'
import { InvalidArgumentError } from '../../common/errors.ts'
import type { Logger } from '../../common/logger.ts'
import type { Random } from '../../common/random.ts'
import { ServiceBase } from '../../common/service.ts'
import { MessageTooLargeError, PeerUnavailableError, RemoteHandlerError, RequestTimeoutError, TransportStoppedError } from './errors.ts'
import { loadOrCreatePeerKey } from './keys.ts'
import { createRingLibp2p, defaultNetworkTuning } from './libp2p-node.ts'
import type { NetworkTuning, RingLibp2p } from './libp2p-node.ts'
import { defaultMaxMessageBytes, defaultRequestTimeoutMs } from './options.ts'
import type { MessageValidator } from './options.ts'
import { defaultRedialOptions, Redialer } from './redial.ts'
import type { RedialOptions } from './redial.ts'
import { sendRequest, serveRequest } from './request-protocol.ts'
import { deadline } from './signals.ts'
import type { GossipTransport, PeerEvent } from './types.ts'

export interface Libp2pTransportOptions {
  /** Listen multiaddrs, e.g. `['/ip4/0.0.0.0/tcp/7946']` (tests: `/ip4/127.0.0.1/tcp/0`). */
  listen: string[]
  /** Directory holding `peer.key` (created 0600 when absent), usually the node's data dir. */
  keyDir: string
  /** Raw 32-byte cluster key (psk.ts `parseClusterKey`); undefined = open network (dev only). */
  clusterKey: Uint8Array | undefined
  /** Gossipsub topic for deltas, e.g. `livestore/ring/v1`. */
  topic: string
  /** Request/response protocol id, e.g. `/livestore/ring-sync/1.0.0`. */
  protocol: string
  maxMessageBytes?: number
  requestTimeoutMs?: number
  clock: Clock
  logger: Logger
  /** Spreads re-dial times (×0.5–1); without it re-dials are exactly exponential. */
  random?: Random
  /** Checks each received gossip message before delivery and forwarding (options.ts). */
  validate?: MessageValidator
  redial?: Partial<RedialOptions>
  network?: Partial<NetworkTuning>
}

/** Loads (or creates) the peer key in `keyDir` and builds a transport; `start` it to listen. */
export async function createLibp2pTransport (options: Libp2pTransportOptions): Promise<Libp2pTransport> {
  const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes
  const { privateKey } = await loadOrCreatePeerKey(options.keyDir, options.logger)
  const node = await createRingLibp2p({
    privateKey,
    listen: options.listen,
    clusterKey: options.clusterKey,
    topic: options.topic,
    maxMessageBytes,
    logger: options.logger,
    ...(options.network === undefined ? {} : { network: options.network }),
  })
  if (!node.peerId.equals(peerIdFromPrivateKey(privateKey))) throw new Error('libp2p did not adopt the persisted peer key')
  return new Libp2pTransport(node, { ...options, maxMessageBytes })
}

export class Libp2pTransport extends ServiceBase implements GossipTransport {
  readonly name = 'gossip-transport'
  readonly localId: string
  readonly #node: RingLibp2p
  readonly #topic: string
  readonly #protocol: string
  readonly #maxBytes: number
  readonly #requestTimeoutMs: number
  readonly #dialTimeoutMs: number
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #validate: MessageValidator | undefined
  readonly #redialer: Redialer
  /** Members to keep connected, with the addresses we dialled them at (identify adds more). */
  readonly #members = new Map<string, Multiaddr[]>()
  readonly #messageHandlers = new Set<(from: string, message: Uint8Array) => void>()
  readonly #peerHandlers = new Set<(event: PeerEvent) => void>()
  #requestHandler: ((from: string, request: Uint8Array) => Promise<Uint8Array>) | undefined
  #running = false
  /** Aborted by stop: cancels in-flight requests, answers and dials. */
  readonly #lifetime = new AbortController()

  /** Use `createLibp2pTransport`. */
  constructor (node: RingLibp2p, options: Libp2pTransportOptions & { maxMessageBytes: number }) {
    super()
    this.#node = node
    this.localId = node.peerId.toString()
    this.#topic = options.topic
    this.#protocol = options.protocol
    this.#maxBytes = options.maxMessageBytes
    this.#requestTimeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs
    this.#dialTimeoutMs = options.network?.dialTimeoutMs ?? defaultNetworkTuning.dialTimeoutMs
    this.#clock = options.clock
    this.#logger = options.logger.child({ component: 'gossip-transport', peerId: this.localId })
    this.#validate = options.validate
    // Every request, dial and served stream listens on this signal while in flight: dozens at a
    // time is normal, not a leak (Node would warn above 10).
    setMaxListeners(0, this.#lifetime.signal)
    this.#redialer = new Redialer(options.clock, { ...defaultRedialOptions, ...options.redial }, (peer, signal) => this.#redial(peer, signal), this.#logger, options.random)
  }

  addresses (): string[] {
    return this.#node.getMultiaddrs().map((ma) => ma.toString())
  }

  protected override async doStart (signal: AbortSignal): Promise<void> {
    const node = this.#node
    await node.handle(this.#protocol, (stream, connection) => this.#onStream(stream, connection), { maxInboundStreams: 64, maxOutboundStreams: 64 })
    node.addEventListener('peer:connect', this.#onConnect)
    node.addEventListener('peer:disconnect', this.#onDisconnect)
    await node.start()
    signal.throwIfAborted()
    const pubsub = node.services.pubsub
    pubsub.topicValidators.set(this.#topic, this.#validateGossip)
    pubsub.addEventListener('message', this.#onGossip)
    pubsub.subscribe(this.#topic)
    this.#running = true
    this.#logger.info({ addresses: this.addresses() }, 'gossip transport listening')
  }

  protected override async doStop (): Promise<void> {
    this.#running = false
    this.#lifetime.abort(new TransportStoppedError('continue'))
    this.#redialer.stop()
    const node = this.#node
    node.removeEventListener('peer:connect', this.#onConnect)
    node.removeEventListener('peer:disconnect', this.#onDisconnect)
    node.services.pubsub.removeEventListener('message', this.#onGossip)
    await node.stop()
  }

  async publish (message: Uint8Array): Promise<void> {
    if (!this.#running) throw new TransportStoppedError('publish')
    if (message.byteLength > this.#maxBytes) throw new MessageTooLargeError('gossip message', message.byteLength, this.#maxBytes)
    await this.#node.services.pubsub.publish(this.#topic, message)
  }

  onMessage (handler: (from: string, message: Uint8Array) => void): () => void {
    const h = (from: string, message: Uint8Array): void => handler(from, message)
    this.#messageHandlers.add(h)
    return () => { this.#messageHandlers.delete(h) }
  }

  handleRequest (handler: (from: string, request: Uint8Array) => Promise<Uint8Array>): void {
    this.#requestHandler = handler
  }

  async request (peer: string, request: Uint8Array, options: { signal?: AbortSignal, timeoutMs?: number } = {}): Promise<Uint8Array> {
    if (!this.#running) throw new TransportStoppedError('send a request')
    if (request.byteLength > this.#maxBytes) throw new MessageTooLargeError('request', request.byteLength, this.#maxBytes)
    options.signal?.throwIfAborted()
    const peerId = this.#parsePeer(peer)
    if (this.#node.getConnections(peerId).length === 0) throw new PeerUnavailableError(peer, 'not connected')
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs
    const limit = deadline(this.#clock, timeoutMs, () => new RequestTimeoutError(peer, timeoutMs), [options.signal, this.#lifetime.signal])
    let stream: Stream | undefined
    try {
      stream = await this.#node.dialProtocol(peerId, this.#protocol, { signal: limit.signal })
      const answer = await sendRequest(stream, request, this.#maxBytes, limit.signal)
      if (!answer.ok) throw new RemoteHandlerError(peer, answer.error)
      return answer.data
    } catch (err) {
      if (err instanceof RemoteHandlerError) throw err
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      if (limit.signal.aborted) throw limit.signal.reason
      throw new PeerUnavailableError(peer, `request failed: ${(err as Error).message}`, { cause: err })
    } finally {
      limit.done()
    }
  }

  async dial (address: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    if (!this.#running) throw new TransportStoppedError('dial')
    options.signal?.throwIfAborted()
    let ma: Multiaddr
    try {
      ma = multiaddr(address)
    } catch (err) {
      throw new InvalidArgumentError(`not a multiaddr: ${address}`, { cause: err })
    }
    const limit = deadline(this.#clock, this.#dialTimeoutMs, () => new PeerUnavailableError(address, 'dial timed out'), [options.signal, this.#lifetime.signal])
    let connection: Connection
    try {
      connection = await this.#node.dial(ma, { signal: limit.signal })
    } catch (err) {
      if (limit.signal.aborted) throw limit.signal.reason
      throw new PeerUnavailableError(address, `dial failed: ${(err as Error).message}`, { cause: err })
    } finally {
      limit.done()
    }
    const peer = connection.remotePeer.toString()
    const direct = ma.decapsulateCode(421) // without /p2p/<id>: the peer store keys by id already
    const known = this.#members.get(peer) ?? []
    if (!known.some((k) => k.equals(direct))) known.push(direct)
    this.#members.set(peer, known)
    await this.#node.peerStore.merge(connection.remotePeer, { multiaddrs: [direct] }).catch((err: unknown) => {
      this.#logger.debug({ err, peer }, 'could not record a member address')
    })
    this.#redialer.connected(peer)
    return peer
  }

  /** Stops keeping `peer` connected (it left the ring); an open connection stays until it drops. */
  forget (peer: string): void {
    this.#members.delete(peer)
    this.#redialer.connected(peer)
  }

  peers (): string[] {
    return this.#node.getPeers().map((p) => p.toString())
  }

  /** Peers known to be subscribed to the gossip topic (they receive `publish`). */
  topicPeers (): string[] {
    return this.#running ? this.#node.services.pubsub.getSubscribers(this.#topic).map((p) => p.toString()) : []
  }

  /** Members currently being re-dialled after a disconnect. */
  redialing (): string[] {
    return this.#redialer.pending()
  }

  onPeer (handler: (event: PeerEvent) => void): () => void {
    const h = (event: PeerEvent): void => handler(event)
    this.#peerHandlers.add(h)
    return () => { this.#peerHandlers.delete(h) }
  }

  #parsePeer (peer: string): PeerId {
    try {
      return peerIdFromString(peer)
    } catch (err) {
      throw new PeerUnavailableError(peer, 'not a valid peer id', { cause: err })
    }
  }

  readonly #onConnect = (event: CustomEvent<PeerId>): void => {
    if (!this.#running) return
    const peer = event.detail.toString()
    if (!this.#members.has(peer)) this.#members.set(peer, [])
    this.#redialer.connected(peer)
    this.#emitPeer({ peer, type: 'up' })
  }

  readonly #onDisconnect = (event: CustomEvent<PeerId>): void => {
    if (!this.#running) return
    const peer = event.detail.toString()
    this.#emitPeer({ peer, type: 'down' })
    if (this.#members.has(peer)) this.#redialer.disconnected(peer)
  }

  async #redial (peer: string, signal: AbortSignal): Promise<void> {
    const peerId = peerIdFromString(peer)
    const limit = deadline(this.#clock, this.#dialTimeoutMs, () => new PeerUnavailableError(peer, 'dial timed out'), [signal, this.#lifetime.signal])
    try {
      await this.#node.dial(peerId, { signal: limit.signal })
    } finally {
      limit.done()
    }
  }

  readonly #validateGossip = (_propagator: PeerId, message: Message): TopicValidatorResult => {
    if (message.type !== 'signed') return TopicValidatorResult.Reject
    if (message.data.byteLength > this.#maxBytes) return TopicValidatorResult.Reject
    if (this.#validate === undefined) return TopicValidatorResult.Accept
    let verdict
    try {
      verdict = this.#validate(message.from.toString(), message.data)
    } catch (err) {
      this.#logger.warn({ err }, 'gossip validator threw; ignoring the message')
      return TopicValidatorResult.Ignore
    }
    switch (verdict) {
      case 'accept': return TopicValidatorResult.Accept
      case 'ignore': return TopicValidatorResult.Ignore
      default: return TopicValidatorResult.Reject
    }
  }

  readonly #onGossip = (event: CustomEvent<Message>): void => {
    const message = event.detail
    if (!this.#running || message.topic !== this.#topic || message.type !== 'signed') return
    const from = message.from.toString()
    if (from === this.localId) return
    for (const h of [...this.#messageHandlers]) this.#call('message handler', () => h(from, message.data))
  }

  async #onStream (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    const limit = deadline(this.#clock, this.#requestTimeoutMs, () => new RequestTimeoutError(from, this.#requestTimeoutMs), [this.#lifetime.signal])
    try {
      await serveRequest(stream, this.#maxBytes, async (request) => {
        const handler = this.#requestHandler
        if (handler === undefined) throw new Error('no request handler')
        return await handler(from, request)
      }, limit.signal)
    } catch (err) {
      this.#logger.debug({ err, peer: from }, 'answering a request failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      limit.done()
    }
  }

  #emitPeer (event: PeerEvent): void {
    for (const h of [...this.#peerHandlers]) this.#call('peer handler', () => h(event))
  }

  #call (what: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.#logger.warn({ err }, `gossip ${what} threw`)
    }
  }
}
