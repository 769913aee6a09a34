/**
 * The shapes the cluster fan-out works with (tempo-behaviour.md §5.2, and (d) for `partial`).
 * They are transport-agnostic: node/ adapts the ring to a `ClusterView` and the libp2p query
 * channel to an `AskFn`; tests pass fakes.
 */
import type { TracesData } from '../../common/otlp/model.ts'

/** One owner of a partition as the querier sees it now. */
export interface PartitionOwner {
  readonly nodeId: string
  readonly zone: string
  /** Active member with a fresh heartbeat (ring/read.ts `isHealthy`); unhealthy owners are never asked. */
  readonly healthy: boolean
  /** Still replaying after a start: asked only when no ready owner of the partition answers. */
  readonly catchingUp: boolean
}

/**
 * What the querier needs from the ring. Read on every query, so it always reflects the latest
 * gossip; it must be cheap (no I/O).
 */
export interface ClusterView {
  /** This node's id: an owner with this id is asked through a local call, not the network. */
  readonly selfId: string
  /** Owners in this zone are asked first (`query.preferred_zone`, default the node's own zone). */
  readonly preferredZone: string
  /** The partitions a read covers: active ones and inactive ones still within retention. */
  partitions (): readonly number[]
  /**
   * The partition's live owners, healthy or not. Within one zone they are asked in the order
   * given here, so list the zone's consumer first: a standby does not consume and holds at most
   * what it consumed before (ring/ownership.ts).
   */
  owners (partition: number): readonly PartitionOwner[]
}

/** What one node answers for a trace-by-id lookup. */
export interface TraceAnswer {
  trace: TracesData | null
  /** Set when the node is catching up (replaying): why its answer may be incomplete. */
  incomplete?: string
}

/** Sends an encoded internal query to a peer and resolves with its encoded answer; rejects on error or abort. */
export type AskFn = (nodeId: string, request: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>

/** The local lookup (this node's store), used instead of the network when this node is the owner asked. */
export type LocalLookupFn = (tenants: readonly string[], traceId: Buffer, signal?: AbortSignal) => Promise<TraceAnswer>

/** A partition no owner answered for, and why (one reason per owner tried or skipped). */
export interface MissingPartition {
  partition: number
  reason: string
}

export interface ClusterTraceResult {
  /** Every answer merged, each (span id, kind) once (common/otlp/combine.ts); null when none found it. */
  trace: TracesData | null
  /** Partitions without an answer, by id. Empty when every partition answered. */
  missing: MissingPartition[]
  /** One line per owner that answered while catching up: its answer may lack recent spans. */
  incomplete: string[]
}

/** What the query app calls in cluster mode (ClusterTraceFinder implements it). */
export interface ClusterFinder {
  findTraceById (tenants: readonly string[], traceId: Buffer, options?: { signal?: AbortSignal }): Promise<ClusterTraceResult>
}
