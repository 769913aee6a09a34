/**
 * A rogue peer for the simulations: a transport on the simulated network with the cluster key
 * (it can connect, publish and answer pulls) but no ring replica behind it; it sends whatever a
 * scenario crafts, like ring/rogue.test.ts does over the memory transport. Its messages go
 * through the same codec as honest ones, so what the replicas reject or adopt is exactly what a
 * keyholder could make them do.
 */
import type { Hlc } from '../ring/hlc.ts'
import { encodeMessage } from '../ring/codec/index.ts'
import { ownerKey } from '../ring/model.ts'
import type { MemberEntry, OwnerEntry, PartitionEntry, RingState } from '../ring/model.ts'
import type { SimCluster } from './cluster.ts'
import { NodeClock } from './scheduler.ts'
import { SimTransport, simAddressPrefix } from './transport.ts'

export interface RogueSpec {
  partitions?: PartitionEntry[]
  owners?: OwnerEntry[]
  members?: MemberEntry[]
}

export function ringOf (spec: RogueSpec): RingState {
  return {
    partitions: new Map((spec.partitions ?? []).map((p) => [p.id, p])),
    owners: new Map((spec.owners ?? []).map((o) => [ownerKey(o.ownerId, o.partition), o])),
    members: new Map((spec.members ?? []).map((m) => [m.nodeId, m])),
  }
}

export class RoguePeer {
  readonly id: string
  readonly clock: NodeClock
  readonly transport: SimTransport
  readonly #sim: SimCluster
  /** What the rogue answers to pulls (default: its own member entry, once bound). */
  answer: RingState = ringOf({})
  sent = 0

  constructor (sim: SimCluster, id = 'rogue') {
    this.id = id
    this.#sim = sim
    this.clock = new NodeClock(sim.scheduler)
    this.transport = new SimTransport(id, sim.network, this.clock)
    this.transport.handleRequest(async () => encodeMessage({ kind: 'full', state: this.answer }))
  }

  /** Starts the transport and dials every running node. */
  async join (): Promise<void> {
    await this.transport.start(new AbortController().signal)
    await Promise.all(this.#sim.running().map((n) => this.transport.dial(simAddressPrefix + n.id).catch(() => undefined)))
  }

  /** An HLC stamp `offsetMs` from the rogue's clock. */
  at (offsetMs = 0): Hlc {
    return { wall: this.clock.now() + offsetMs, logical: 0 }
  }

  /** Its own member entry (the binding that makes it a member), stamped `offsetMs` ahead. */
  member (offsetMs = 0): MemberEntry {
    const ts = this.at(offsetMs)
    return { nodeId: this.id, info: { value: { state: 'active', zone: 'a', addresses: [simAddressPrefix + this.id, `/p2p/${this.id}`] }, ts, writer: this.id }, heartbeat: { ts, writer: this.id } }
  }

  async publish (spec: RogueSpec): Promise<void> {
    this.sent++
    await this.transport.publish(encodeMessage({ kind: 'delta', state: ringOf(spec) }))
  }

  /** Pushes a crafted full state to `peer` (a push/pull request); resolves with whether it was accepted. */
  async push (peer: string, spec: RogueSpec): Promise<boolean> {
    this.sent++
    return await this.transport.request(peer, encodeMessage({ kind: 'full', state: ringOf(spec) }), { timeoutMs: 5_000 }).then(() => true, () => false)
  }

  async stop (): Promise<void> {
    await this.transport.stop()
    this.clock.kill()
  }
}
