/**
 * Gossip validators (ring-crdt.md §5.3 "Mitigations", DESIGN.md "Security model"). A message
 * is decoded under size limits, then checked against what its sender may write; a rejected
 * message changes nothing and is counted by reason. The libp2p transport runs the same checks in
 * its topic validator so that gossipsub penalises the sender (P4 scoring).
 *
 * Who may write what:
 * - A delta is published by the node that wrote it and is never re-published by others
 *   (gossip.ts explains why), so the delta must have one writer, the ring node bound to the
 *   sending peer (`foreign_writer` otherwise): every owner and member register is the writer's,
 *   and every partition entry has at least one register of the writer's (entries travel whole,
 *   so a promotion carries the lock register its creator wrote).
 * - Owner entries and member entries are written only by the node they describe: in a delta,
 *   `ownerId` and `nodeId` must equal the writer (`foreign_owner`, `foreign_member`); in a full
 *   state, which relays everyone's entries, each such entry's writer must equal its id.
 * - Partition registers may be changed by the partition's owners, and deleted by any member once
 *   the lifecycle allows it (gossip-authorize.ts; such a delta is ignored, not rejected).
 *
 * Node id ↔ peer id: a member entry lists the node's addresses, and one of them ends in
 * `/p2p/<peerId>` (libp2p's own convention; `advertisedAddresses` in gossip.ts adds a bare
 * `/p2p/<peerId>` when the transport's addresses lack it). That entry binds the node id to the
 * peer id. The binding is taken from the local replica's member entry when it is active, else
 * from the member entry the message itself carries (every delta we publish includes our own
 * member entry, so a receiver can bind a writer it never heard of). A different peer may take
 * over a bound id only once the bound member's heartbeat has expired (a node that restarted with
 * a new key); a live node cannot be impersonated (`impersonation`).
 *
 * Limits of this scheme: a full state is authenticated only as a whole (the answering peer has
 * the cluster key), so a member with the key can forge other nodes' entries inside a full
 * state; per-entry signatures would close that (ring-crdt.md §5.3 "signed-state option").
 */
import { LiveStoreError } from '../common/errors.ts'
import { decodeMessage, versions } from './codec/index.ts'
import { unauthorizedPartitionWrite } from './gossip-authorize.ts'
import type { CodecLimits, RingMessage, RingMessageKind } from './codec/index.ts'
import { RingCodecError } from './errors.ts'
import type { MemberEntry, RingState } from './model.ts'

export const rejectReasons = [
  'malformed', 'unknown_version', 'oversized', 'wrong_kind', 'clock_skew',
  'foreign_writer', 'foreign_owner', 'foreign_member', 'unbound_sender', 'impersonation',
  'unauthorized_partition',
] as const
export type RejectReason = typeof rejectReasons[number]

export class GossipRejectError extends LiveStoreError {
  static override readonly code: string = 'gossip_rejected'

  constructor (readonly reason: RejectReason, message: string) {
    super(`gossip message rejected (${reason}): ${message}`)
  }

  /**
   * What the transport's topic validator answers: `reject` (gossipsub penalises the sender) for
   * what no honest node sends; `ignore` (dropped, not forwarded, no penalty) for a partition write
   * an honest node may send to a receiver that missed earlier gossip (gossip-authorize.ts).
   */
  get verdict (): 'reject' | 'ignore' {
    return this.reason === 'unauthorized_partition' ? 'ignore' : 'reject'
  }
}

/** Decodes a message under `limits`, classifying every failure; throws `GossipRejectError`. */
export function decodeChecked (bytes: Uint8Array, limits: CodecLimits, kind: RingMessageKind): RingMessage {
  if (bytes.byteLength === 0) throw new GossipRejectError('malformed', 'empty message')
  if (bytes.byteLength > limits.maxBytes) throw new GossipRejectError('oversized', `${bytes.byteLength} bytes, limit ${limits.maxBytes}`)
  if (versions[bytes[0] as number] === undefined) throw new GossipRejectError('unknown_version', `version ${bytes[0]}`)
  let msg: RingMessage
  try {
    msg = decodeMessage(bytes, limits)
  } catch (err) {
    if (!(err instanceof RingCodecError)) throw err
    // Entry counts over the limit are size problems, everything else is a broken message.
    throw new GossipRejectError(/entries, limit/.test(err.message) ? 'oversized' : 'malformed', err.message)
  }
  if (msg.kind !== kind) throw new GossipRejectError('wrong_kind', `expected a ${kind} message, got ${msg.kind}`)
  return msg
}

/** The address that names a peer and nothing else (a valid libp2p multiaddr). */
export function peerAddress (peerId: string): string {
  return `/p2p/${peerId}`
}

/** The peer id named by the first address ending in `/p2p/<id>`, if any. */
export function peerIdOf (addresses: readonly string[]): string | undefined {
  for (const a of addresses) {
    const m = /\/p2p\/([^/]+)$/.exec(a)
    if (m !== null) return m[1]
  }
  return undefined
}

export interface BindingContext {
  /** Physical milliseconds, to judge whether the bound member is still alive. */
  readonly now: number
  readonly heartbeatTimeoutMs: number
}

/** Checks a received delta against the local state; the reason to reject it, or undefined. */
export function checkDelta (local: RingState, delta: RingState, sender: string, ctx: BindingContext): GossipRejectError | undefined {
  const writers = deltaWriters(delta)
  if (writers === undefined) return undefined
  if (writers.size === 0) return new GossipRejectError('foreign_writer', 'the delta has no single writer')
  let firstError: GossipRejectError | undefined
  for (const writer of writers) {
    const err = checkWriter(local, delta, writer, sender, ctx)
    if (err === undefined) return undefined
    firstError ??= err
  }
  return firstError
}

/**
 * The node ids that could have written the whole delta: every owner and member register must be
 * theirs, and every partition entry must have at least one register of theirs (the one they
 * changed: the entry travels whole, so its other register may be anyone's). Undefined for an
 * empty delta. Two candidates remain only when the delta holds nothing but partition entries
 * whose two registers were written by the same two nodes.
 */
function deltaWriters (delta: RingState): Set<string> | undefined {
  let candidates: Set<string> | undefined
  const narrow = (...ws: string[]): void => {
    candidates = candidates === undefined ? new Set(ws) : new Set(ws.filter((w) => candidates?.has(w)))
  }
  for (const o of delta.owners.values()) narrow(o.writer)
  for (const m of delta.members.values()) { narrow(m.info.writer); narrow(m.heartbeat.writer) }
  for (const p of delta.partitions.values()) narrow(p.state.writer, p.locked.writer)
  return candidates
}

function checkWriter (local: RingState, delta: RingState, writer: string, sender: string, ctx: BindingContext): GossipRejectError | undefined {
  for (const o of delta.owners.values()) {
    if (o.ownerId !== writer) return new GossipRejectError('foreign_owner', `${writer} wrote the owner entry of ${o.ownerId} (partition ${o.partition})`)
  }
  for (const m of delta.members.values()) {
    if (m.nodeId !== writer) return new GossipRejectError('foreign_member', `${writer} wrote the member entry of ${m.nodeId}`)
  }
  const unbound = checkBinding(local.members.get(writer), delta.members.get(writer), writer, sender, ctx)
  if (unbound !== undefined) return unbound
  const unauthorized = unauthorizedPartitionWrite(local, delta, writer)
  return unauthorized === undefined ? undefined : new GossipRejectError('unauthorized_partition', unauthorized)
}

function checkBinding (local: MemberEntry | undefined, incoming: MemberEntry | undefined, writer: string, sender: string, ctx: BindingContext): GossipRejectError | undefined {
  const localPeer = boundPeer(local)
  if (localPeer === sender) return undefined
  const incomingPeer = boundPeer(incoming)
  if (localPeer !== undefined && local !== undefined && ctx.now - local.heartbeat.ts.wall <= ctx.heartbeatTimeoutMs) {
    return new GossipRejectError('impersonation', `peer ${sender} wrote as ${writer}, which is alive at peer ${localPeer}`)
  }
  if (incomingPeer === sender) return undefined
  if (localPeer !== undefined) return new GossipRejectError('foreign_writer', `peer ${sender} wrote as ${writer}, bound to peer ${localPeer}`)
  return new GossipRejectError('unbound_sender', `peer ${sender} wrote as ${writer}, and no member entry binds them`)
}

function boundPeer (m: MemberEntry | undefined): string | undefined {
  return m !== undefined && m.info.value.state === 'active' ? peerIdOf(m.info.value.addresses) : undefined
}

/** Checks the entries of a full state that only their subject may write. */
export function checkFullState (state: RingState): GossipRejectError | undefined {
  for (const o of state.owners.values()) {
    if (o.writer !== o.ownerId) return new GossipRejectError('foreign_owner', `owner entry of ${o.ownerId} (partition ${o.partition}) written by ${o.writer}`)
  }
  for (const m of state.members.values()) {
    if (m.info.writer !== m.nodeId || m.heartbeat.writer !== m.nodeId) return new GossipRejectError('foreign_member', `member entry of ${m.nodeId} written by ${m.info.writer}/${m.heartbeat.writer}`)
  }
  return undefined
}
