/**
 * Trace by id for the whole cluster: every partition of the ring answered by one owner
 * (partition-fanout.ts: own zone first, hedged to the next owner, one call per node), and the
 * answers merged, each span once.
 */
import type { Clock } from '../../common/clock.ts'
import { combineTraces } from '../../common/otlp/combine.ts'
import { PartitionFanout, incompleteNotes } from './partition-fanout.ts'
import { decodeTraceByIdResponse, defaultProtocolLimits, encodeTraceByIdRequest } from './protocol.ts'
import type { ProtocolLimits } from './protocol.ts'
import type { AskFn, ClusterFinder, ClusterTraceResult, ClusterView, LocalLookupFn, TraceAnswer } from './types.ts'

export { orderCandidates } from './partition-fanout.ts'

export interface ClusterTraceFinderOptions {
  view: ClusterView
  /** Sends a request to a peer (node/: the libp2p query channel's `ask`). */
  ask: AskFn
  /** This node's own lookup (handler.ts `createLocalTraceLookup`). */
  local: LocalLookupFn
  clock: Clock
  /** Ask the next owner when the current one has not answered this long (`query.hedge_after`). */
  hedgeAfterMs: number
  /** The whole query's deadline (`query.trace_by_id_timeout`). */
  timeoutMs: number
  limits?: ProtocolLimits
}

export class ClusterTraceFinder implements ClusterFinder {
  readonly #opts: ClusterTraceFinderOptions
  readonly #limits: ProtocolLimits
  readonly #fanout: PartitionFanout

  constructor (opts: ClusterTraceFinderOptions) {
    if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`)
    this.#fanout = new PartitionFanout(opts)
    this.#opts = opts
    this.#limits = opts.limits ?? defaultProtocolLimits
  }

  /**
   * Rejects only when `signal` aborts (with its reason), the request cannot be encoded, or the
   * ring has no partition; owner failures and the deadline become `missing` partitions.
   */
  async findTraceById (tenants: readonly string[], traceId: Buffer, options: { signal?: AbortSignal } = {}): Promise<ClusterTraceResult> {
    options.signal?.throwIfAborted()
    const request = encodeTraceByIdRequest({ tenants, traceId }, this.#limits)
    const { answers, missing } = await this.#fanout.run<TraceAnswer>({
      name: 'trace by id',
      timeoutMs: this.#opts.timeoutMs,
      request,
      local: (signal) => this.#opts.local(tenants, traceId, signal),
      decode: (bytes) => decodeTraceByIdResponse(bytes, this.#limits),
    }, options.signal)
    return { trace: combineTraces(answers.map((a) => a.answer.trace)), missing, incomplete: incompleteNotes(answers) }
  }
}
