/**
 * Who consumes a partition in a zone (pure; the lifecycler applies it to its own node).
 *
 * Several nodes of one zone may own the same partition; exactly one of them consumes it, the
 * others are standbys. Every node computes the same answer from the same ring view:
 *
 *   the consumer of partition P in zone Z is, among the live owners of P in Z that are healthy
 *   (member active, heartbeat at most `heartbeat_timeout` old), the one registered first
 *   (oldest owner-entry timestamp), ties broken by owner id.
 *
 * Why the oldest registration: it is stable. A standby that joins later never displaces the
 * consumer, and with `remove_owner_on_shutdown` a restarted consumer comes back with a new
 * registration, i.e. as a standby, so a rolling restart moves consumption once, not twice.
 * A standby takes over exactly when the consumer's owner entry is removed (it left), its member
 * entry is marked left (it stopped), or its heartbeat expires (it crashed or is cut off).
 *
 * The partition must exist (pending, active or inactive: a pending partition is consumed from
 * the start, an inactive one until it is deleted, as in Tempo).
 */
import { compareHlc } from './hlc.ts'
import type { RingState } from './model.ts'
import { getPartition, isHealthy, listMembers, ownersOf } from './read.ts'
import type { OwnerInfo } from './read.ts'
import { compareStrings } from './register.ts'

export interface HealthContext {
  /** Physical milliseconds. */
  readonly now: number
  readonly heartbeatTimeoutMs: number
}

/** The healthy owners of `partition` in `zone`, consumer first. */
export function consumerCandidates (state: RingState, partition: number, zone: string, ctx: HealthContext): OwnerInfo[] {
  if (getPartition(state, partition) === undefined) return []
  return ownersOf(state, partition)
    .filter((o) => o.zone === zone && isHealthy(state, o.ownerId, ctx.now, ctx.heartbeatTimeoutMs))
    .sort((a, b) => compareHlc(a.since, b.since) || compareStrings(a.ownerId, b.ownerId))
}

/** The consumer of `partition` in `zone` (see the file comment), or undefined if none. */
export function consumerOf (state: RingState, partition: number, zone: string, ctx: HealthContext): string | undefined {
  return consumerCandidates(state, partition, zone, ctx)[0]?.ownerId
}

/** The node ids of the active members that are healthy at `ctx.now`. */
export function healthyMembers (state: RingState, ctx: HealthContext): Set<string> {
  return new Set(listMembers(state).filter((m) => isHealthy(state, m.nodeId, ctx.now, ctx.heartbeatTimeoutMs)).map((m) => m.nodeId))
}
