/**
 * How ring replicas talk (DESIGN.md "ring/ … gossip protocol over a `GossipTransport`
 * interface"): broadcast deltas, pull/push full state with one peer, and learn when peers come
 * and go. Two implementations share one compliance suite: libp2p (gossipsub for deltas, a
 * request/response protocol for full state, private network by cluster key) and an in-memory one
 * for tests and the deterministic simulator. Messages are opaque bytes (ring/codec encodes them).
 */
export interface PeerEvent {
  peer: string
  type: 'up' | 'down'
}

export interface GossipTransport {
  /** This node's peer id (stable across restarts when the key is persisted). */
  readonly localId: string
  /** Addresses other nodes can dial (multiaddrs for libp2p). */
  addresses (): string[]
  start (signal: AbortSignal): Promise<void>
  stop (): Promise<void>
  /** Broadcasts a message to every subscribed peer (at most once each, best effort). */
  publish (message: Uint8Array): Promise<void>
  /** Messages published by others (never our own). Returns an unsubscribe function. */
  onMessage (handler: (from: string, message: Uint8Array) => void): () => void
  /** Answers full-state requests from peers (one handler; a later call replaces it). */
  handleRequest (handler: (from: string, request: Uint8Array) => Promise<Uint8Array>): void
  /** Sends a request to one peer and resolves with its answer; rejects on error, abort or timeout. */
  request (peer: string, request: Uint8Array, options?: { signal?: AbortSignal, timeoutMs?: number }): Promise<Uint8Array>
  /** Connects to an address (e.g. a bootstrap member) and resolves with the peer id found there. */
  dial (address: string, options?: { signal?: AbortSignal }): Promise<string>
  /** Peers currently connected. */
  peers (): string[]
  onPeer (handler: (event: PeerEvent) => void): () => void
}
