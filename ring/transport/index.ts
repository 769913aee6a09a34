/**
 * Gossip transports for the ring: the `GossipTransport` contract, the libp2p implementation
 * (production), the in-memory one (tests, simulator), the cluster key and peer key helpers, and
 * the compliance suite every implementation passes (compliance.ts, imported by tests only).
 */
export type { GossipTransport, PeerEvent } from './types.ts'
export { MessageTooLargeError, PeerUnavailableError, RemoteHandlerError, RequestTimeoutError, TransportStoppedError } from './errors.ts'
export { defaultMaxMessageBytes, defaultRequestTimeoutMs } from './options.ts'
export type { MessageValidator, MessageVerdict } from './options.ts'
export { MemoryNetwork, MemoryTransport } from './memory.ts'
export type { MemoryNetworkOptions, MemoryTransportOptions } from './memory.ts'
export { createLibp2pTransport, Libp2pTransport } from './libp2p.ts'
export type { Libp2pTransportOptions } from './libp2p.ts'
export { defaultNetworkTuning } from './libp2p-node.ts'
export type { NetworkTuning } from './libp2p-node.ts'
export { defaultRedialOptions } from './redial.ts'
export type { RedialOptions } from './redial.ts'
export { loadOrCreatePeerKey, peerKeyFile } from './keys.ts'
export type { PeerKey } from './keys.ts'
export { ClusterKeyError, clusterKeyBytes, formatClusterKey, generateClusterKey, parseClusterKey } from './psk.ts'
