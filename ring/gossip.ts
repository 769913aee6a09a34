/**
 * The gossip protocol: one `RingReplica` per node holds the local ring state and keeps it in
 * step with the other replicas over a `GossipTransport` (ring-crdt.md §1.3 and §7 "Transport").
 *
 * - Local edits (`edit`) run as one transaction, then their delta is encoded and published.
 * - A received delta is decoded under the delta limits, validated (gossip-validate.ts), the
 *   HLC observes its newest timestamp (rejecting clock skew), and it is merged.
 * - Full state is exchanged by push/pull (`pull`): the request carries our full state, the
 *   answer the peer's, and each side merges the other's. It runs on join, before `start`
 *   resolves (so `synced` means "has seen a peer's full ring, or found no peer"), and every
 *   `anti_entropy_interval` with a random connected peer, scaled above 32 members like
 *   memberlist's `pushPullScale`.
 * - Tombstones are garbage-collected on a timer (`tombstone_horizon`, `departure_horizon`), and
 *   after every change the owner entries of nodes that left are dropped (model.ts
 *   `dropDepartedOwners`).
 * Every mutation of the state runs on one serial queue (serial-queue.ts).
 *
 * Re-broadcast policy: a merged delta is NOT re-published. dskit re-broadcasts the resulting
 * change because memberlist sends each message to a few random nodes and relies on receivers to
 * pass it on. Gossipsub already does that: every subscriber forwards the original, signed
 * message through the mesh (and repairs gaps with IHAVE/IWANT), and the in-memory transport
 * delivers to every subscriber. Re-publishing would multiply traffic by the cluster size and
 * make the re-publisher the author of registers it did not write, which the validators reject
 * (only a node writes its own owner entry). Whatever a replica still misses, the periodic
 * push/pull repairs within one scaled interval (ring-crdt.md §4.3).
 */
import type { Clock, Timer } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Random } from '../common/random.ts'
import { ServiceBase } from '../common/service.ts'
import { defaultCodecLimits, encodeMessage } from './codec/index.ts'
import type { CodecLimits } from './codec/index.ts'
import type { RingConfig } from './config.ts'
import { ClockSkewError } from './errors.ts'
import type { RingEvents } from './events.ts'
import { MemberDialer, antiEntropyInterval, joinCluster, pullRandomPeer } from './gossip-peers.ts'
import { GossipStats } from './gossip-stats.ts'
import { Tx } from './gossip-tx.ts'
import type { RingTx } from './gossip-tx.ts'
import { GossipRejectError, checkDelta, checkFullState, decodeChecked, peerAddress, peerIdOf } from './gossip-validate.ts'
import type { BindingContext } from './gossip-validate.ts'
import { HybridClock, checkSkew, formatHlc } from './hlc.ts'
import type { RingMetrics } from './metrics.ts'
import { buryDeparted, dropStampedAfter, emptyRing, gcTombstones, isEmptyRing, maxTimestamp, merge } from './model.ts'
import type { RingState } from './model.ts'
import { listMembers } from './read.ts'
import { SerialQueue } from './serial-queue.ts'
import type { MessageVerdict } from './transport/options.ts'
import type { GossipTransport } from './transport/types.ts'

/** Deltas are small (one writer's edits): a tight cap bounds what one bad message costs. */
export const defaultDeltaLimits: CodecLimits = { maxBytes: 256 * 1024, maxPartitions: 4096, maxOwners: 4096, maxMembers: 1 }

export interface RingReplicaDeps {
  nodeId: string
  transport: GossipTransport
  clock: Clock
  random: Random
  config: Pick<RingConfig, 'max_clock_skew' | 'anti_entropy_interval' | 'tombstone_horizon' | 'departure_horizon' | 'join_members' | 'heartbeat_timeout'>
  events: RingEvents
  logger?: Logger
  metrics?: RingMetrics
  limits?: { delta?: CodecLimits, full?: CodecLimits }
  /** Timeout of one full-state request (default 5 s, dskit's stream timeout is 2 s). */
  requestTimeoutMs?: number
}

/** How long after a new connection its push/pull runs (see doStart). */
const PEER_UP_SYNC_DELAY_MS = 500

export class RingReplica extends ServiceBase {
  readonly name = 'ring-gossip'
  readonly nodeId: string
  readonly hlc: HybridClock
  readonly stats = new GossipStats()
  readonly #deps: RingReplicaDeps
  readonly #queue = new SerialQueue()
  readonly #deltaLimits: CodecLimits
  readonly #fullLimits: CodecLimits
  readonly #synced: Promise<void>
  #resolveSynced: () => void = () => undefined
  readonly #publishing = new Set<Promise<void>>()
  readonly #unsubscribe: (() => void)[] = []
  readonly #dialer: MemberDialer
  #ring: RingState = emptyRing()
  #publishedAny = false
  #isSynced = false
  #open = false
  #antiEntropyTimer: Timer | undefined
  readonly #peerTimers = new Set<Timer>()
  #gcTimer: Timer | undefined

  constructor (deps: RingReplicaDeps) {
    super()
    this.#deps = deps
    this.nodeId = deps.nodeId
    this.hlc = new HybridClock(deps.clock, { maxSkewMs: deps.config.max_clock_skew })
    this.#deltaLimits = deps.limits?.delta ?? defaultDeltaLimits
    this.#fullLimits = deps.limits?.full ?? defaultCodecLimits
    this.stats.metrics = deps.metrics
    this.#synced = new Promise((resolve) => { this.#resolveSynced = resolve })
    this.#dialer = new MemberDialer(deps.transport, deps.clock)
  }

  /** The current local state (immutable; replaced on every change). */
  get ring (): RingState { return this.#ring }
  get events (): RingEvents { return this.#deps.events }
  get peerId (): string { return this.#deps.transport.localId }
  /** True once the join pull finished (with a peer's state, or alone). */
  get synced (): boolean { return this.#isSynced }
  whenSynced (): Promise<void> { return this.#synced }

  /**
   * The addresses to put in this node's member entry: the transport's, plus `/p2p/<peerId>`
   * when none names the peer id (gossip-validate.ts binds node ids to peer ids through it).
   */
  advertisedAddresses (): string[] {
    const own = this.#deps.transport.addresses().slice(0, 15)
    return peerIdOf(own) === this.peerId ? own : [...own, peerAddress(this.peerId)]
  }

  /**
   * Runs `fn` as one transaction on the serial queue, commits its edits, and publishes their
   * combined delta. `fn` must not await: the queue step is the transaction. Resolves with `fn`'s
   * result once the delta has been handed to the transport.
   */
  async edit<T> (fn: (tx: RingTx) => T): Promise<T> {
    const { result, delta } = await this.#queue.run(() => {
      this.#rewindIfAhead()
      const tx = new Tx(this.#ring, this.nodeId, () => ({ ts: this.hlc.now(), writer: this.nodeId }))
      const result = fn(tx)
      const r = buryDeparted({ state: tx.state, delta: tx.delta })
      if (!isEmptyRing(r.delta)) this.#commit(r.state, r.delta, 'local')
      return { result, delta: tx.delta }
    })
    if (!isEmptyRing(delta) && this.#open) await this.#publish(delta)
    return result
  }

  /**
   * The transport's topic validator (`validate` option of both transports): the same checks as
   * on receipt, minus the merge, so libp2p can penalise a peer for a bad message before it is
   * forwarded. `from` must be the message's signed author, not the peer that forwarded it.
   * Rejections are counted here; an accepted message is checked once more when it is merged.
   */
  validate (from: string, bytes: Uint8Array): MessageVerdict {
    try {
      const msg = decodeChecked(bytes, this.#deltaLimits, 'delta')
      const now = this.#deps.clock.now()
      const err = checkDelta(this.#ring, msg.state, from, this.#writeContext(now))
      if (err !== undefined) throw err
      const newest = maxTimestamp(msg.state)
      const skew = newest === undefined ? undefined : checkSkew(newest, now, this.hlc.maxSkewMs)
      if (skew !== undefined) throw new GossipRejectError('clock_skew', skew.message)
      return 'accept'
    } catch (err) {
      this.#rejected(err, from)
      return err instanceof GossipRejectError ? err.verdict : 'reject'
    }
  }

  /**
   * Recovers from this node's clock having run ahead and been set back (a +1 year jump, say):
   * its HLC would stay ahead, and every peer would reject everything it writes, until a restart.
   * Instead every entry stamped beyond the physical clock plus `max_clock_skew` is forgotten
   * (peers never accepted those; they hold the older values), the HLC is rewound to the newest
   * stamp left (or the physical clock), and a push/pull brings the peers' state back at once. The lifecycler's next heartbeat and reconcile write this node's own
   * entries again with stamps the peers accept. Runs on the queue, before each local edit.
   */
  #rewindIfAhead (): void {
    if (!this.hlc.aheadOfPhysical()) return
    const ahead = this.hlc.last
    const physical = Math.floor(this.#deps.clock.now())
    // Beyond max_clock_skew only this node's own stamps can exist (peers' are rejected there).
    this.#ring = dropStampedAfter(this.#ring, physical + this.hlc.maxSkewMs)
    const now = this.hlc.rewind(maxTimestamp(this.#ring))
    this.stats.observe(this.#ring)
    this.#deps.logger?.warn({ hlc: formatHlc(ahead), rewoundTo: formatHlc(now), physical }, 'the clock was set back after running ahead: rewound the ring clock, forgot the entries stamped beyond max_clock_skew, pulling the ring from a peer')
    if (this.#open) void this.antiEntropy()
  }

  #writeContext (now: number): BindingContext {
    return { now, heartbeatTimeoutMs: this.#deps.config.heartbeat_timeout }
  }

  /** Push/pull with one peer; false (and counted) when it fails or its answer is rejected. */
  async pull (peer: string, signal?: AbortSignal): Promise<boolean> {
    const { transport } = this.#deps
    try {
      const request = encodeMessage({ kind: 'full', state: this.#ring }, this.#fullLimits)
      this.stats.sent('full', request.byteLength)
      const options: { signal?: AbortSignal, timeoutMs: number } = { timeoutMs: this.#deps.requestTimeoutMs ?? 5000 }
      if (signal !== undefined) options.signal = signal
      const answer = await transport.request(peer, request, options)
      this.stats.received('full', answer.byteLength)
      const msg = decodeChecked(answer, this.#fullLimits, 'full')
      await this.#queue.run(() => this.#absorbFull(msg.state))
      this.stats.exchange(true)
      return true
    } catch (err) {
      this.stats.exchange(false)
      if (err instanceof GossipRejectError) this.#rejected(err, peer)
      else this.#deps.logger?.debug({ err, peer }, 'ring push/pull failed')
      return false
    }
  }

  /** One anti-entropy round: push/pull with a random connected peer (or re-dial a seed). */
  antiEntropy (signal?: AbortSignal): Promise<boolean> {
    return pullRandomPeer(this.#deps.transport, this.#deps.config.join_members, this.#deps.random, (peer, sig) => this.pull(peer, sig), signal)
  }

  /** Drops tombstones older than the horizon (a local step: nothing to gossip, nothing visible). */
  gc (now: number): Promise<void> {
    const { tombstone_horizon: ownersMs, departure_horizon: departuresMs } = this.#deps.config
    return this.#queue.run(() => { this.#ring = gcTombstones(this.#ring, { ownersMs, departuresMs }, now) })
  }

  /** Resolves once every queued mutation and publish has finished (for tests and stop). */
  async idle (): Promise<void> {
    await this.#queue.idle()
    await Promise.all([...this.#publishing])
  }

  protected async doStart (signal: AbortSignal): Promise<void> {
    const { transport, clock, config } = this.#deps
    this.#open = true
    this.#unsubscribe.push(transport.onMessage((from, bytes) => this.#onDelta(from, bytes)))
    transport.handleRequest((from, bytes) => this.#onFullRequest(from, bytes))
    // memberlist pushes/pulls with every node that joins; we do it with every new connection,
    // a moment after it opens, once gossipsub has exchanged subscriptions: deltas published
    // before the new peer was subscribed never reached it, and would otherwise wait for
    // anti-entropy (30 s) — long enough to hold a partition's promotion back.
    this.#unsubscribe.push(transport.onPeer((e) => {
      if (e.type !== 'up') return
      const t = clock.setTimeout(() => { this.#peerTimers.delete(t); if (this.#open) void this.pull(e.peer) }, PEER_UP_SYNC_DELAY_MS)
      this.#peerTimers.add(t)
    }))
    const joined = await joinCluster(transport, config.join_members, this.#deps.random, (peer, sig) => this.pull(peer, sig), signal)
    this.#deps.logger?.info({ joined, peers: transport.peers().length }, joined ? 'ring synced from a peer' : 'ring starting alone')
    this.#isSynced = true
    this.#resolveSynced()
    this.#dialer.connect(this.#ring, this.nodeId)
    this.#scheduleAntiEntropy()
    this.#gcTimer = clock.setInterval(() => { void this.gc(clock.now()) }, Math.max(1000, Math.floor(config.tombstone_horizon / 10)))
  }

  protected async doStop (): Promise<void> {
    this.#antiEntropyTimer?.cancel()
    for (const t of this.#peerTimers) t.cancel()
    this.#peerTimers.clear()
    this.#gcTimer?.cancel()
    await this.idle()
    // A published delta is fire-and-forget and may still be in flight when the transport stops
    // (dskit waits up to 10 s for its local broadcast queue for the same reason). One push/pull
    // is acknowledged, so our last words (owner tombstones, `left`) reach at least one peer and
    // anti-entropy carries them on.
    if (this.#isSynced && this.#publishedAny) await this.antiEntropy()
    this.#open = false
    this.#dialer.close()
    for (const off of this.#unsubscribe.splice(0)) off()
    this.#deps.transport.handleRequest(() => Promise.reject(new Error('ring replica stopped')))
  }

  #scheduleAntiEntropy (): void {
    const { clock, random, config } = this.#deps
    const delay = antiEntropyInterval(config.anti_entropy_interval, listMembers(this.#ring).length) * (0.75 + 0.5 * random.next())
    this.#antiEntropyTimer = clock.setTimeout(() => {
      if (!this.#open) return
      this.#scheduleAntiEntropy()
      this.#dialer.connect(this.#ring, this.nodeId)
      void this.antiEntropy()
    }, delay)
  }

  #onDelta (from: string, bytes: Uint8Array): void {
    if (!this.#open) return
    this.stats.received('delta', bytes.byteLength)
    try {
      const msg = decodeChecked(bytes, this.#deltaLimits, 'delta')
      void this.#queue.run(() => {
        const err = checkDelta(this.#ring, msg.state, from, this.#writeContext(this.#deps.clock.now()))
        if (err !== undefined) throw err
        this.#absorb(msg.state)
      }).catch((err: unknown) => this.#rejected(err, from))
    } catch (err) {
      this.#rejected(err, from)
    }
  }

  async #onFullRequest (from: string, bytes: Uint8Array): Promise<Uint8Array> {
    this.stats.received('full', bytes.byteLength)
    try {
      const msg = decodeChecked(bytes, this.#fullLimits, 'full')
      await this.#queue.run(() => this.#absorbFull(msg.state))
    } catch (err) {
      this.#rejected(err, from)
      throw err
    }
    const answer = encodeMessage({ kind: 'full', state: this.#ring }, this.#fullLimits)
    this.stats.sent('full', answer.byteLength)
    return answer
  }

  #absorbFull (state: RingState): void {
    const err = checkFullState(state)
    if (err !== undefined) throw err
    this.#absorb(state)
  }

  /** Observes the newest incoming timestamp (rejecting skew), then merges. Runs on the queue. */
  #absorb (incoming: RingState): void {
    const newest = maxTimestamp(incoming)
    if (newest === undefined) return
    try {
      this.hlc.update(newest)
    } catch (err) {
      if (err instanceof ClockSkewError) throw new GossipRejectError('clock_skew', err.message)
      throw err
    }
    const r = buryDeparted(merge(this.#ring, incoming))
    this.stats.merged(!isEmptyRing(r.delta))
    if (!isEmptyRing(r.delta)) this.#commit(r.state, r.delta, 'remote')
  }

  #commit (state: RingState, delta: RingState, source: 'local' | 'remote'): void {
    this.#ring = state
    this.stats.observe(state)
    this.#deps.events.emit('ring:changed', { state, delta, source })
    if (source === 'remote' && delta.members.size > 0 && this.#open) this.#dialer.connectMembers(delta.members.values(), this.nodeId)
  }

  #rejected (err: unknown, from: string): void {
    if (err instanceof GossipRejectError) {
      this.stats.reject(err.reason)
      this.#deps.logger?.warn({ peer: from, reason: err.reason, err: err.message }, 'rejected ring gossip')
    } else {
      this.#deps.logger?.error({ err, peer: from }, 'ring gossip handling failed')
    }
  }

  async #publish (delta: RingState): Promise<void> {
    // Our own member entry rides along so a receiver can bind our node id to our peer id even if
    // it missed our registration (gossip-validate.ts); merging it again changes nothing.
    const self = this.#ring.members.get(this.nodeId)
    const withSelf = self === undefined || delta.members.has(this.nodeId) ? delta : { ...delta, members: new Map([[this.nodeId, self]]) }
    this.#publishedAny = true
    const p = (async () => {
      try {
        const bytes = encodeMessage({ kind: 'delta', state: withSelf }, this.#deltaLimits)
        await this.#deps.transport.publish(bytes)
        this.stats.sent('delta', bytes.byteLength)
      } catch (err) {
        // Not fatal: the next push/pull carries the change.
        this.stats.publishFailed++
        this.#deps.logger?.debug({ err }, 'ring delta not published')
      }
    })()
    this.#publishing.add(p)
    await p
    this.#publishing.delete(p)
  }
}
