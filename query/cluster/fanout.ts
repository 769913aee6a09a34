/**
 * Trace by id for the whole cluster (tempo-behaviour.md §5.2 with read quorum 1): every
 * partition of the ring is answered by one owner, and the answers are merged.
 *
 * Per partition the healthy owners are tried in this order: ready owners of the preferred zone,
 * ready owners of the other zones (by zone name; within a zone in the view's order), then owners
 * still catching up. The first is asked; when it fails the next is asked at once, and when it
 * has not answered within `hedgeAfterMs` the next is asked too (a hedge; each launch re-arms the
 * delay). The first answer wins and the others are aborted. A catching-up owner is asked only
 * when no ready owner is left in flight or untried, so its possibly incomplete answer never
 * beats a ready owner's. This node is asked through `local`, never the network.
 *
 * Tempo differs in two ways: it waits 3 s before hedging (`HedgingDelay`) where we default to
 * 100 ms, and it needs every owner of a zone to answer, because its owners are all consumers;
 * here one owner per zone consumes and the others are standbys, so one answer is enough.
 *
 * Within one query a node is asked at most once, however many partitions it owns: the answer
 * (its whole store for these tenants) serves them all. A node's request is aborted only when no
 * partition waits on it any more. The query ends at `timeoutMs`; partitions still waiting then
 * are missing, as are partitions whose owners all failed or that have no healthy owner. The
 * caller decides whether missing partitions fail the query (the default) or give a partial answer.
 */
import type { Clock, Timer } from '../../common/clock.ts'
import { UnavailableError } from '../../common/errors.ts'
import { combineTraces } from '../../common/otlp/combine.ts'
import { formatDuration } from '../../common/config-schema.ts'
import { decodeTraceByIdResponse, defaultProtocolLimits, encodeTraceByIdRequest } from './protocol.ts'
import type { ProtocolLimits } from './protocol.ts'
import type { AskFn, ClusterFinder, ClusterTraceResult, ClusterView, LocalLookupFn, MissingPartition, PartitionOwner, TraceAnswer } from './types.ts'

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

interface Candidate extends PartitionOwner { readonly ready: boolean }

type Outcome =
  | { partition: number, ok: true, nodeId: string, answer: TraceAnswer }
  | { partition: number, ok: false, reason: string }

export class ClusterTraceFinder implements ClusterFinder {
  readonly #opts: ClusterTraceFinderOptions
  readonly #limits: ProtocolLimits

  constructor (opts: ClusterTraceFinderOptions) {
    if (!(opts.hedgeAfterMs >= 0)) throw new RangeError(`hedgeAfterMs must be >= 0, got ${opts.hedgeAfterMs}`)
    if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`)
    this.#opts = opts
    this.#limits = opts.limits ?? defaultProtocolLimits
  }

  /**
   * Rejects only when `signal` aborts (with its reason), the request cannot be encoded, or the
   * ring has no partition; owner failures and the deadline become `missing` partitions.
   */
  async findTraceById (tenants: readonly string[], traceId: Buffer, options: { signal?: AbortSignal } = {}): Promise<ClusterTraceResult> {
    const { view } = this.#opts
    options.signal?.throwIfAborted()
    const partitions = [...new Set(view.partitions())].sort((a, b) => a - b)
    if (partitions.length === 0) throw new UnavailableError('empty ring: no partition to query')
    const request = encodeTraceByIdRequest({ tenants, traceId }, this.#limits)
    const scope = new QueryScope(this.#opts, this.#limits, { tenants, traceId, request }, options.signal)
    try {
      const outcomes = await Promise.all(partitions.map((p) => this.#race(p, scope)))
      options.signal?.throwIfAborted()
      return summarize(outcomes)
    } finally {
      scope.close()
    }
  }

  #race (partition: number, scope: QueryScope): Promise<Outcome> {
    const owners = this.#opts.view.owners(partition)
    const candidates = orderCandidates(owners, this.#opts.view.preferredZone)
    const unhealthy = owners.filter((o) => !o.healthy).map((o) => `${o.nodeId}: unhealthy`)
    if (candidates.length === 0) {
      return Promise.resolve({ partition, ok: false, reason: owners.length === 0 ? 'no owner in the ring' : unhealthy.join(', ') })
    }
    const { clock, hedgeAfterMs } = this.#opts
    return new Promise((resolve) => {
      const failures: string[] = []
      const inFlight = new Map<NodeCall, Candidate>()
      let next = 0
      let done = false
      let hedge: Timer | undefined

      const finish = (outcome: Outcome): void => {
        if (done) return
        done = true
        hedge?.cancel()
        scope.signal.removeEventListener('abort', onAbort)
        for (const call of inFlight.keys()) scope.release(call)
        inFlight.clear()
        resolve(outcome)
      }
      const fail = (): void => finish({ partition, ok: false, reason: [...failures, ...unhealthy].join(', ') })
      const readyInFlight = (): boolean => [...inFlight.values()].some((c) => c.ready)

      const launchNext = (): boolean => {
        const cand = candidates[next]
        if (cand === undefined || (!cand.ready && readyInFlight())) return false
        next++
        const call = scope.acquire(cand.nodeId)
        inFlight.set(call, cand)
        call.promise.then(
          (answer) => { if (!done && inFlight.has(call)) finish({ partition, ok: true, nodeId: cand.nodeId, answer }) },
          (err: unknown) => {
            if (done || !inFlight.has(call)) return
            inFlight.delete(call)
            scope.release(call)
            failures.push(`${cand.nodeId}: ${reasonOf(err)}`)
            if (!launchNext() && inFlight.size === 0) fail()
          })
        hedge?.cancel()
        hedge = next < candidates.length ? clock.setTimeout(() => { hedge = undefined; if (!done) launchNext() }, hedgeAfterMs) : undefined
        return true
      }

      const onAbort = (): void => {
        const why = scope.timedOut ? `no answer within ${formatDuration(this.#opts.timeoutMs)}` : 'query cancelled'
        for (const cand of inFlight.values()) failures.push(`${cand.nodeId}: ${why}`)
        fail()
      }
      scope.signal.addEventListener('abort', onAbort, { once: true })
      launchNext()
    })
  }
}

/**
 * Healthy owners, ready before catching-up, the preferred zone before the others (by zone
 * name), the view's order within a zone (Array.prototype.sort is stable).
 */
export function orderCandidates (owners: readonly PartitionOwner[], preferredZone: string): Candidate[] {
  const seen = new Set<string>()
  const out: Candidate[] = []
  for (const o of owners) {
    if (!o.healthy || seen.has(o.nodeId)) continue
    seen.add(o.nodeId)
    out.push({ ...o, ready: !o.catchingUp })
  }
  const zoneRank = (z: string): number => z === preferredZone ? 0 : 1
  return out.sort((a, b) =>
    Number(b.ready) - Number(a.ready) ||
    zoneRank(a.zone) - zoneRank(b.zone) ||
    (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0))
}

interface NodeCall {
  readonly nodeId: string
  readonly promise: Promise<TraceAnswer>
  readonly controller: AbortController
  users: number
  settled: boolean
}

/** One query's deadline, cancellation and per-node memo of calls. */
class QueryScope {
  readonly #controller = new AbortController()
  readonly #calls = new Map<string, NodeCall>()
  readonly #timer: Timer
  readonly #outer: AbortSignal | undefined
  readonly #onOuterAbort = (): void => { this.#controller.abort(this.#outer?.reason) }
  timedOut = false

  constructor (
    private readonly opts: ClusterTraceFinderOptions,
    private readonly limits: ProtocolLimits,
    private readonly query: { tenants: readonly string[], traceId: Buffer, request: Uint8Array },
    outer: AbortSignal | undefined,
  ) {
    this.#outer = outer
    this.#timer = opts.clock.setTimeout(() => {
      this.timedOut = true
      this.#controller.abort(new UnavailableError(`trace by id: no answer within ${formatDuration(opts.timeoutMs)}`))
    }, opts.timeoutMs)
    outer?.addEventListener('abort', this.#onOuterAbort, { once: true })
  }

  get signal (): AbortSignal { return this.#controller.signal }

  /** The node's call for this query, started on first use. */
  acquire (nodeId: string): NodeCall {
    let call = this.#calls.get(nodeId)
    if (call === undefined) {
      const controller = new AbortController()
      const signal = AbortSignal.any([this.#controller.signal, controller.signal])
      const { ask, local, view } = this.opts
      const { tenants, traceId, request } = this.query
      const run = async (): Promise<TraceAnswer> => nodeId === view.selfId
        ? await local(tenants, traceId, signal)
        : decodeTraceByIdResponse(await ask(nodeId, request, signal), this.limits)
      const created: NodeCall = { nodeId, controller, users: 0, settled: false, promise: run() }
      created.promise.then(() => { created.settled = true }, () => { created.settled = true })
      this.#calls.set(nodeId, created)
      call = created
    }
    call.users++
    return call
  }

  /** A partition stops waiting on `call`; the last one aborts it if it is still running. */
  release (call: NodeCall): void {
    call.users--
    if (call.users > 0 || call.settled) return
    call.controller.abort(new Error('another owner answered first'))
    // A later partition that wants this node starts a fresh call rather than see this abort.
    if (this.#calls.get(call.nodeId) === call) this.#calls.delete(call.nodeId)
  }

  close (): void {
    this.#timer.cancel()
    this.#outer?.removeEventListener('abort', this.#onOuterAbort)
    if (!this.#controller.signal.aborted) this.#controller.abort(new Error('query finished'))
  }
}

function summarize (outcomes: readonly Outcome[]): ClusterTraceResult {
  const missing: MissingPartition[] = []
  const answers = new Map<string, { answer: TraceAnswer, partitions: number[] }>()
  for (const o of outcomes) {
    if (!o.ok) { missing.push({ partition: o.partition, reason: o.reason }); continue }
    const seen = answers.get(o.nodeId)
    if (seen === undefined) answers.set(o.nodeId, { answer: o.answer, partitions: [o.partition] })
    else seen.partitions.push(o.partition)
  }
  const incomplete: string[] = []
  for (const [nodeId, { answer, partitions }] of answers) {
    if (answer.incomplete === undefined) continue
    incomplete.push(`${partitions.length === 1 ? 'partition' : 'partitions'} ${partitions.join(', ')} from ${nodeId}: ${answer.incomplete}`)
  }
  return { trace: combineTraces([...answers.values()].map((a) => a.answer.trace)), missing, incomplete }
}

function reasonOf (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text === '' ? (err instanceof Error ? err.name : 'failed') : text
}
