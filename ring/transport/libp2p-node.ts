/**
 * Builds the libp2p node the gossip transport runs on (measurements.md "Winner"): libp2p 3 with
 * TCP, Noise, Yamux, identify, ping, gossipsub 17 and, when a cluster key is given, a private
 * network (@libp2p/pnet). The choices that differ from libp2p's defaults, and why:
 *
 * - Inbound limits raised (pitfall 2): libp2p accepts only 5 new connections per second per
 *   source host and 10 pending upgrades; nodes sharing one IP (tests, `livestore cluster`, NAT,
 *   containers) then fail to join. `allow` (multiaddr CIDRs such as `/ip4/10.0.0.0/ipcidr/8`)
 *   bypasses the limits for a cluster subnet altogether.
 * - Gossipsub IP-colocation scoring off (pitfall 3): beyond ~12 peers on one IP their RPCs,
 *   SUBSCRIBE included, are silently ignored. The private network is the access control here.
 * - Short timeouts (pitfalls 7 and 8): a dial or inbound upgrade gives up after 3 s (a PSK
 *   mismatch otherwise waits 6–10 s), and the connection monitor pings every 2 s with a 0.5–2 s
 *   timeout, so a frozen peer's connection is closed (peer down) within a few seconds.
 * - Gossipsub: StrictSign (every message signed by its author, verified by each receiver), only
 *   our topic allowed, publishing with no subscribed peer is not an error (the first node of a
 *   cluster is alone; anti-entropy repairs), floodsub fallback off, inbound RPC frames bounded
 *   by twice the message limit plus room for control messages.
 * - libp2p's own KEEP_ALIVE reconnection is not used (pitfall 6): the transport re-dials its
 *   members itself (redial.ts), so `reconnectRetries` is 0.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, StrictSign } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { Libp2p, Libp2pOptions } from 'libp2p'
import type { Logger } from '../../common/logger.ts'
import { libp2pLogger } from './libp2p-logger.ts'
import { pnetKeyFile } from './psk.ts'

export type RingServices = { identify: Identify, ping: Ping, pubsub: GossipSub }
export type RingLibp2p = Libp2p<RingServices>

/** Connection tuning; the defaults suit dozens of nodes on one host or one LAN. */
export interface NetworkTuning {
  /** Whole dial budget, including the PSK and Noise handshakes (libp2p default 10 s). */
  dialTimeoutMs: number
  /** Inbound connections must finish protect/encrypt/mux within this (libp2p default 10 s). */
  inboundUpgradeTimeoutMs: number
  /** New inbound connections accepted per second per source host (libp2p default 5). */
  inboundConnectionThreshold: number
  /** Inbound connections still upgrading at once (libp2p default 10). */
  maxIncomingPendingConnections: number
  /** Connections kept before pruning (libp2p default 300). */
  maxConnections: number
  /** Multiaddr CIDRs exempt from the inbound limits, e.g. `/ip4/10.1.0.0/ipcidr/16`. */
  allow: string[]
  /** Connection-monitor ping period (libp2p default 10 s). */
  pingIntervalMs: number
  /** Bounds of the adaptive ping timeout after which a connection is closed. */
  pingTimeoutMinMs: number
  pingTimeoutMaxMs: number
}

export const defaultNetworkTuning: NetworkTuning = {
  dialTimeoutMs: 3_000,
  inboundUpgradeTimeoutMs: 3_000,
  inboundConnectionThreshold: 200,
  maxIncomingPendingConnections: 128,
  maxConnections: 1_000,
  allow: [],
  pingIntervalMs: 2_000,
  pingTimeoutMinMs: 500,
  pingTimeoutMaxMs: 2_000,
}

/** Room for gossipsub's envelope (from, seqno, signature, key, topic) and control messages. */
export const gossipOverheadBytes = 64 * 1024

export interface RingNodeOptions {
  privateKey: PrivateKey
  listen: string[]
  /** Raw 32-byte cluster key (psk.ts); undefined runs an open network (development only). */
  clusterKey: Uint8Array | undefined
  topic: string
  maxMessageBytes: number
  logger: Logger
  network?: Partial<NetworkTuning>
}

export function ringLibp2pOptions (options: RingNodeOptions): Libp2pOptions<RingServices> {
  const net = { ...defaultNetworkTuning, ...options.network }
  // One gossipsub RPC frame may carry more than one message (an IWANT answer bundles every
  // message asked for), so the frame bound leaves room for two full-size messages. A frame above
  // it is refused from its length prefix and gossipsub drops that peer's gossip streams; each
  // message is still held to maxMessageBytes by the topic validator.
  const maxRpcBytes = 2 * options.maxMessageBytes + gossipOverheadBytes
  const init: Libp2pOptions<RingServices> = {
    start: false,
    privateKey: options.privateKey,
    logger: libp2pLogger(options.logger),
    addresses: { listen: options.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      dialTimeout: net.dialTimeoutMs,
      addressDialTimeout: net.dialTimeoutMs,
      inboundUpgradeTimeout: net.inboundUpgradeTimeoutMs,
      inboundConnectionThreshold: net.inboundConnectionThreshold,
      maxIncomingPendingConnections: net.maxIncomingPendingConnections,
      maxConnections: net.maxConnections,
      allow: net.allow,
      reconnectRetries: 0,
    },
    connectionMonitor: {
      pingInterval: net.pingIntervalMs,
      pingTimeout: { minTimeout: net.pingTimeoutMinMs, maxTimeout: net.pingTimeoutMaxMs },
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictSign,
        allowedTopics: [options.topic],
        allowPublishToZeroTopicPeers: true,
        fallbackToFloodsub: false,
        emitSelf: false,
        scoreParams: { IPColocationFactorWeight: 0 },
        maxInboundDataLength: maxRpcBytes,
        maxOutboundBufferSize: Math.max(4 * 1024 * 1024, 2 * maxRpcBytes),
      }),
    },
  }
  if (options.clusterKey !== undefined) init.connectionProtector = preSharedKey({ psk: pnetKeyFile(options.clusterKey) })
  return init
}

export function createRingLibp2p (options: RingNodeOptions): Promise<RingLibp2p> {
  return createLibp2p(ringLibp2pOptions(options))
}
