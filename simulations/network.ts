/**
 * The simulated network: which links are up, what each message costs in time, and what gets
 * lost, duplicated or reordered on the way. Transports (transport.ts) attach to it; the ring
 * code above them never knows it is simulated.
 *
 * Links behave like the memory transport's (ring/transport/memory.ts) and libp2p's: a `dial`
 * makes a link that both ends keep, so it comes back by itself when a restarted node starts
 * again or a partition heals. A link is up while both ends run, either end wants it, and no cut
 * separates them. Peer up/down events reach each end after one link latency and report the
 * link's state at that moment (a link that went up and down again in between is not reported).
 * Every delivery re-checks the link it was sent on (its `epoch`): anything in flight when a link
 * drops is lost, as on a closed connection.
 *
 * Cuts: `setGroups([[...], [...]])` splits nodes into groups (unlisted nodes form one more
 * group) and cuts every link between groups; `cut(a, b)` cuts one link; `heal()` removes all.
 *
 * Faults are per link (latency.ts: loss, duplication, reordering, latency distribution) and
 * per message (`intercept`: a scenario's hook that may rewrite or drop what a node receives,
 * e.g. a deliberately broken merge rule in the tests).
 */
import type { Random } from '../common/random.ts'
import { PeerUnavailableError } from '../ring/transport/errors.ts'
import type { Answer } from '../ring/transport/in-process-requests.ts'
import { defaultLink, deliveryDelay } from './latency.ts'
import type { LinkProfile } from './latency.ts'
import type { Scheduler } from './scheduler.ts'

export type MessageKind = 'delta' | 'request' | 'answer'

/** What a scenario's interceptor sees; it returns the bytes to deliver (maybe new ones) or undefined to drop. */
export type Interceptor = (m: { from: string, to: string, kind: MessageKind, bytes: Uint8Array }) => Uint8Array | undefined

/** The network's side of a transport. */
export interface Endpoint {
  readonly id: string
  running (): boolean
  /** Brings the transport's peer set in line with the link's state (emitting up/down). */
  syncPeer (peer: string, up: boolean): void
  message (from: string, bytes: Uint8Array): void
  request (from: string, id: number, bytes: Uint8Array): void
  answer (from: string, id: number, answer: Answer): void
  linkLost (peer: string): void
}


export interface NodeTraffic {
  sent: number
  received: number
  bytesSent: number
  bytesReceived: number
  lost: number
}

export interface SimNetworkOptions {
  scheduler: Scheduler
  random: Random
  /** The profile of every link without an override (default: 1–5 ms, no faults). */
  link?: LinkProfile
  /** A profile per directed link, e.g. by zone; undefined = the default. */
  linkOf?: (from: string, to: string) => LinkProfile | undefined
}

export class SimNetwork {
  readonly scheduler: Scheduler
  readonly #random: Random
  #link: LinkProfile
  #linkOf: ((from: string, to: string) => LinkProfile | undefined) | undefined
  readonly #endpoints = new Map<string, Endpoint>()
  readonly #index = new Map<string, number>()
  readonly #wants = new Map<string, Set<string>>()
  readonly #wantedBy = new Map<string, Set<string>>()
  readonly #up = new Map<string, Set<string>>()
  readonly #epoch = new Map<number, number>()
  #group = new Map<string, number>()
  readonly #cuts = new Set<number>()
  readonly #traffic = new Map<string, NodeTraffic>()
  #epochs = 0
  intercept: Interceptor | undefined

  constructor (options: SimNetworkOptions) {
    this.scheduler = options.scheduler
    this.#random = options.random
    this.#link = options.link ?? defaultLink
    this.#linkOf = options.linkOf
  }

  setLink (link: LinkProfile, linkOf?: (from: string, to: string) => LinkProfile | undefined): void {
    this.#link = link
    this.#linkOf = linkOf
  }

  profile (from: string, to: string): LinkProfile {
    return this.#linkOf?.(from, to) ?? this.#link
  }

  /** Attaches (or re-attaches, on restart) a transport's endpoint; it remembers nobody. */
  attach (endpoint: Endpoint): void {
    const id = endpoint.id
    if (!this.#index.has(id)) this.#index.set(id, this.#index.size)
    const old = this.#wants.get(id)
    if (old !== undefined) for (const p of old) this.#wantedBy.get(p)?.delete(id)
    this.#endpoints.set(id, endpoint)
    this.#wants.set(id, new Set())
    if (!this.#wantedBy.has(id)) this.#wantedBy.set(id, new Set())
    if (!this.#up.has(id)) this.#up.set(id, new Set())
    if (!this.#traffic.has(id)) this.#traffic.set(id, { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0, lost: 0 })
  }

  /** A node started or stopped: its links follow. */
  changed (id: string): void {
    for (const peer of this.#related(id)) this.#refresh(id, peer)
  }

  isUp (a: string, b: string): boolean {
    return this.#up.get(a)?.has(b) ?? false
  }

  upPeers (id: string): ReadonlySet<string> {
    return this.#up.get(id) ?? new Set()
  }

  traffic (id: string): NodeTraffic | undefined {
    return this.#traffic.get(id)
  }

  /** Splits the nodes into groups that cannot reach each other (unlisted nodes: one more group). */
  setGroups (groups: readonly (readonly string[])[]): void {
    this.#group = new Map()
    groups.forEach((g, i) => { for (const id of g) this.#group.set(id, i + 1) })
    this.#refreshAll()
  }

  cut (a: string, b: string): void {
    this.#cuts.add(this.#pair(a, b))
    this.#refresh(a, b)
  }

  /** Removes every group and cut. */
  heal (): void {
    this.#group = new Map()
    this.#cuts.clear()
    this.#refreshAll()
  }

  /** True when no cut separates `a` and `b` (whether or not a link exists). */
  reachable (a: string, b: string): boolean {
    return (this.#group.get(a) ?? 0) === (this.#group.get(b) ?? 0) && !this.#cuts.has(this.#pair(a, b))
  }

  async dial (from: string, to: string): Promise<void> {
    const target = this.#endpoints.get(to)
    if (target === undefined || !target.running() || !this.reachable(from, to)) throw new PeerUnavailableError(to, 'unreachable')
    this.#want(from, to)
    this.#want(to, from)
    this.#refresh(from, to)
    await new Promise<void>((resolve) => {
      this.scheduler.at(deliveryDelay(this.profile(from, to), this.#random), resolve)
    })
    if (!this.isUp(from, to)) throw new PeerUnavailableError(to, 'connection closed while dialling')
  }

  /** Links every pair of `ids` as if each had dialled the others (the scale bootstrap). */
  meshAll (ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = ids[i] as string
        const b = ids[j] as string
        this.#want(a, b)
        this.#want(b, a)
        this.#refresh(a, b)
      }
    }
  }

  forget (from: string, peer: string): void {
    this.#wants.get(from)?.delete(peer)
    this.#wantedBy.get(peer)?.delete(from)
    this.#refresh(from, peer)
  }

  /** A gossip message from `from` to `to`, subject to the link's loss, duplication and delay. */
  sendMessage (from: string, to: string, bytes: Uint8Array): void {
    const p = this.profile(from, to)
    this.#count(from, bytes)
    if (p.loss > 0 && this.#random.next() < p.loss) { this.#lost(to); return }
    const copies = p.duplicate > 0 && this.#random.next() < p.duplicate ? 2 : 1
    for (let i = 0; i < copies; i++) {
      this.#deliver(from, to, deliveryDelay(p, this.#random), 'delta', bytes, (target, b) => target.message(from, b))
    }
  }

  /** One leg of a request (`request` or `answer`); false when the link is down now. */
  sendLeg (from: string, to: string, kind: 'request' | 'answer', bytes: Uint8Array, deliver: (target: Endpoint, bytes: Uint8Array) => void): boolean {
    if (!this.isUp(from, to)) return false
    const p = this.profile(from, to)
    this.#count(from, bytes)
    if (p.requestLoss > 0 && this.#random.next() < p.requestLoss) { this.#lost(to); return true }
    this.#deliver(from, to, deliveryDelay(p, this.#random), kind, bytes, deliver)
    return true
  }

  #deliver (from: string, to: string, delay: number, kind: MessageKind, bytes: Uint8Array, deliver: (target: Endpoint, bytes: Uint8Array) => void): void {
    const key = this.#pair(from, to)
    const epoch = this.#epoch.get(key)
    const target = this.#endpoints.get(to)
    this.scheduler.at(delay, () => {
      if (this.#epoch.get(key) !== epoch || !this.isUp(from, to) || this.#endpoints.get(to) !== target || target === undefined) { this.#lost(to); return }
      const b = this.intercept === undefined ? bytes : this.intercept({ from, to, kind, bytes })
      if (b === undefined) { this.#lost(to); return }
      const t = this.#traffic.get(to)
      if (t !== undefined) { t.received++; t.bytesReceived += b.byteLength }
      deliver(target, b)
    })
  }

  #count (from: string, bytes: Uint8Array): void {
    const t = this.#traffic.get(from)
    if (t !== undefined) { t.sent++; t.bytesSent += bytes.byteLength }
  }

  #lost (to: string): void {
    const t = this.#traffic.get(to)
    if (t !== undefined) t.lost++
  }

  #want (a: string, b: string): void {
    this.#wants.get(a)?.add(b)
    this.#wantedBy.get(b)?.add(a)
  }

  #related (id: string): Set<string> {
    return new Set([...(this.#wants.get(id) ?? []), ...(this.#wantedBy.get(id) ?? []), ...(this.#up.get(id) ?? [])])
  }

  #refreshAll (): void {
    for (const id of this.#endpoints.keys()) {
      for (const peer of this.#related(id)) if (id < peer) this.#refresh(id, peer)
    }
  }

  /** Sets the a–b link to what it should be and, on a change, tells both ends after a latency. */
  #refresh (a: string, b: string): void {
    const ea = this.#endpoints.get(a)
    const eb = this.#endpoints.get(b)
    const wanted = (this.#wants.get(a)?.has(b) ?? false) || (this.#wants.get(b)?.has(a) ?? false)
    const should = ea !== undefined && eb !== undefined && ea.running() && eb.running() && wanted && this.reachable(a, b)
    if (should === this.isUp(a, b)) return
    const key = this.#pair(a, b)
    this.#epoch.set(key, ++this.#epochs)
    if (should) {
      this.#up.get(a)?.add(b)
      this.#up.get(b)?.add(a)
    } else {
      this.#up.get(a)?.delete(b)
      this.#up.get(b)?.delete(a)
      ea?.linkLost(b)
      eb?.linkLost(a)
    }
    for (const [self, peer] of [[a, b], [b, a]] as const) {
      const endpoint = this.#endpoints.get(self)
      this.scheduler.at(deliveryDelay(this.profile(peer, self), this.#random), () => {
        if (this.#endpoints.get(self) === endpoint && endpoint?.running() === true) endpoint.syncPeer(peer, this.isUp(self, peer))
      })
    }
  }

  #pair (a: string, b: string): number {
    const i = this.#index.get(a) ?? -1
    const j = this.#index.get(b) ?? -1
    return i < j ? i * 1_048_576 + j : j * 1_048_576 + i
  }
}
