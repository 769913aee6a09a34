import type { GossipTransport } from './types.ts'

/**
 * Two request/response channels over one transport's request protocol: the ring's full-state
 * sync and the internal query protocol share the peers' libp2p connections (and so the cluster
 * key that guards them), told apart by a one-byte tag in front of every request. The ring keeps
 * seeing a plain GossipTransport (gossip passes through untouched); queries get `ask`/`serve`.
 */
export const enum Channel { Ring = 0, Query = 1 }

export type RequestHandler = (from: string, request: Uint8Array) => Promise<Uint8Array>

export interface QueryChannel {
  /** Sends a query to a peer; rejects on error, abort or timeout. */
  ask (peer: string, request: Uint8Array, options?: { signal?: AbortSignal, timeoutMs?: number }): Promise<Uint8Array>
  /** Answers queries from peers (one handler; a later call replaces it). */
  serve (handler: RequestHandler): void
}

export function splitChannels (transport: GossipTransport): { ring: GossipTransport, query: QueryChannel } {
  const handlers: (RequestHandler | undefined)[] = [undefined, undefined]
  transport.handleRequest(async (from, request) => {
    const handler = request.length === 0 ? undefined : handlers[request[0]!]
    if (handler === undefined) throw new Error(`unknown request channel ${request[0] ?? '(empty request)'}`)
    return await handler(from, request.subarray(1))
  })
  const tagged = (channel: Channel, body: Uint8Array): Uint8Array => {
    const out = new Uint8Array(body.length + 1)
    out[0] = channel
    out.set(body, 1)
    return out
  }
  const ring: GossipTransport = {
    get localId () { return transport.localId },
    addresses: () => transport.addresses(),
    start: (signal) => transport.start(signal),
    stop: () => transport.stop(),
    publish: (m) => transport.publish(m),
    onMessage: (h) => transport.onMessage(h),
    handleRequest: (h) => { handlers[Channel.Ring] = h },
    request: (peer, req, options) => transport.request(peer, tagged(Channel.Ring, req), options),
    dial: (address, options) => transport.dial(address, options),
    peers: () => transport.peers(),
    onPeer: (h) => transport.onPeer(h),
  }
  const query: QueryChannel = {
    ask: (peer, req, options) => transport.request(peer, tagged(Channel.Query, req), options),
    serve: (h) => { handlers[Channel.Query] = h },
  }
  return { ring, query }
}
