/**
 * Which peers a replica talks to: the seeds it pulls from on join, the members it dials so the
 * cluster forms a full mesh, and the random peer of each anti-entropy round.
 */
import type { Clock } from '../common/clock.ts'
import type { Random } from '../common/random.ts'
import { peerAddress, peerIdOf } from './gossip-validate.ts'
import type { MemberEntry, RingState } from './model.ts'
import { listMembers } from './read.ts'
import type { GossipTransport } from './transport/types.ts'

export type Pull = (peer: string, signal?: AbortSignal) => Promise<boolean>

/**
 * The join (dskit's fast-join): dial the seeds in random order and push/pull with the first that
 * answers, else with any peer the transport is already connected to. False when nobody answered
 * (the node starts alone).
 */
export async function joinCluster (transport: GossipTransport, seeds: readonly string[], random: Random, pull: Pull, signal: AbortSignal): Promise<boolean> {
  const tried = new Set<string>([transport.localId])
  for (const address of shuffle(seeds, random)) {
    signal.throwIfAborted()
    const peer = await transport.dial(address, { signal }).catch(() => undefined)
    if (peer === undefined || tried.has(peer)) continue
    tried.add(peer)
    if (await pull(peer, signal)) return true
  }
  for (const peer of shuffle(transport.peers(), random)) {
    signal.throwIfAborted()
    if (tried.has(peer)) continue
    tried.add(peer)
    if (await pull(peer, signal)) return true
  }
  return false
}

/** One anti-entropy exchange with a random connected peer; alone, a random seed is re-dialled. */
export async function pullRandomPeer (transport: GossipTransport, seeds: readonly string[], random: Random, pull: Pull, signal?: AbortSignal): Promise<boolean> {
  const peers = transport.peers()
  if (peers.length > 0) return await pull(peers[random.int(peers.length)] as string, signal)
  // A node cut off and forgotten must rejoin by itself (ring-crdt.md §6.3, mimir#16254).
  if (seeds.length === 0) return false
  const address = seeds[random.int(seeds.length)] as string
  const peer = await transport.dial(address, signal === undefined ? {} : { signal }).catch(() => undefined)
  return peer !== undefined && peer !== transport.localId && await pull(peer, signal)
}

/**
 * Dials every active member the transport is not connected to, once at a time per peer (the
 * transport re-dials members it lost). Deltas are published only to connected peers and never
 * re-published, so the cluster must form a full mesh (issue 5: "the transport dials the members
 * it learns from the ring itself").
 *
 * A failed dial backs off per peer (1 s, doubling to 30 s, reset by a success): a dead member
 * stays in the ring until it is forgotten, and without the backoff every heartbeat of every other
 * node would dial it again — N connection attempts per second to each dead node (the simulator
 * spent a fifth of its time building those errors at 100 nodes).
 */
export class MemberDialer {
  readonly #transport: GossipTransport
  readonly #clock: Clock
  readonly #dialing = new Set<string>()
  /** Per peer: when it may be dialled again, and the delay after the next failure. */
  readonly #backoff = new Map<string, { until: number, nextDelayMs: number }>()
  #open = true

  constructor (transport: GossipTransport, clock: Clock) {
    this.#transport = transport
    this.#clock = clock
  }

  /** Every active member of `state` (on join and each anti-entropy round). */
  connect (state: RingState, selfId: string): void {
    this.#connectAll(listMembers(state).map((m) => ({ nodeId: m.nodeId, addresses: m.addresses })), selfId)
  }

  /**
   * The active members among `members` (the ones a merged delta changed: a new node, new
   * addresses, a heartbeat). A change is a sign of life, so their backoff is forgotten.
   */
  connectMembers (members: Iterable<MemberEntry>, selfId: string): void {
    const active: { nodeId: string, addresses: readonly string[] }[] = []
    for (const m of members) {
      if (m.info.value.state !== 'active') continue
      active.push({ nodeId: m.nodeId, addresses: m.info.value.addresses })
      const peer = peerIdOf(m.info.value.addresses)
      if (peer !== undefined) this.#backoff.delete(peer)
    }
    if (active.length > 0) this.#connectAll(active, selfId)
  }

  close (): void { this.#open = false }

  #connectAll (members: readonly { nodeId: string, addresses: readonly string[] }[], selfId: string): void {
    const connected = new Set(this.#transport.peers())
    const now = this.#clock.now()
    for (const m of members) {
      const peer = peerIdOf(m.addresses)
      if (m.nodeId === selfId || peer === undefined || peer === this.#transport.localId || connected.has(peer) || this.#dialing.has(peer)) continue
      if ((this.#backoff.get(peer)?.until ?? 0) > now) continue
      // The bare `/p2p/<id>` names the peer but says nowhere to reach it.
      const dialable = m.addresses.filter((a) => a !== peerAddress(peer))
      if (dialable.length > 0) void this.#dial(peer, dialable)
    }
  }

  async #dial (peer: string, addresses: readonly string[]): Promise<void> {
    this.#dialing.add(peer)
    let ok = false
    for (const address of addresses) {
      if (!this.#open) break
      ok = await this.#transport.dial(address).then(() => true, () => false)
      if (ok) break
    }
    this.#dialing.delete(peer)
    if (ok) { this.#backoff.delete(peer); return }
    const delay = this.#backoff.get(peer)?.nextDelayMs ?? MIN_REDIAL_MS
    this.#backoff.set(peer, { until: this.#clock.now() + delay, nextDelayMs: Math.min(MAX_REDIAL_MS, delay * 2) })
  }
}

const MIN_REDIAL_MS = 1000
const MAX_REDIAL_MS = 30_000

/** memberlist's `pushPullScale`: the base interval up to 32 members, then ×(⌈log2 N − 5⌉ + 1). */
export function antiEntropyInterval (baseMs: number, members: number): number {
  return members <= 32 ? baseMs : baseMs * (Math.ceil(Math.log2(members) - 5) + 1)
}

export function shuffle<T> (items: readonly T[], random: Random): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1)
    const tmp = out[i] as T
    out[i] = out[j] as T
    out[j] = tmp
  }
  return out
}
