/**
 * One query across the cluster (tempo-behaviour.md §5.2 with read quorum 1): every partition of
 * the ring is answered by one owner. Shared by trace by id (fanout.ts) and search, tag names and
 * tag values (search-fanout.ts); they differ only in what they send, how they ask this node and
 * how they merge the answers.
 *
 * Per partition the owners are tried in this order: healthy ready owners of the preferred zone,
 * healthy ready owners of the other zones (by zone name; within a zone in the view's order),
 * healthy owners still catching up, then as a last resort the owners this view calls unhealthy.
 * The first is asked; when it fails the next is asked at once, and when it has not answered
 * within `hedgeAfterMs` the next is asked too (a hedge; each launch re-arms the delay). The
 * first complete answer wins and the others are aborted. A catching-up owner is asked only when
 * no ready owner is left in flight or untried, so its possibly incomplete answer never beats a
 * ready owner's. Only a node knows it is catching up (readiness is not gossiped), so an answer
 * marked `incomplete` from an owner the view thought ready is kept aside and the next owner is
 * asked at once; it is used only when no owner gives a complete answer (the restarted zone of
 * the chaos run returned empty traces before this). This node is asked through `local`, never
 * the network.
 *
 * Tempo differs in two ways: it waits 3 s before hedging (`HedgingDelay`) where we default to
 * 100 ms, and it needs every owner of a zone to answer, because its owners are all consumers;
 * here one owner per zone consumes and the others are standbys, so one answer is enough.
 *
 * Within one query a node is asked at most once, however many partitions it owns: its answer
 * (its whole store for these tenants) serves them all. A node's request is aborted only when no
 * partition waits on it any more. The query ends at `timeoutMs`; partitions still waiting then
 * are missing, as are partitions whose owners all failed or that have no healthy owner. The
 * caller decides whether missing partitions fail the query (the default) or give a partial answer.
 */
import { setMaxListeners } from 'node:events'
import type { Clock, Timer } from '../../common/clock.ts'
import { formatDuration } from '../../common/config-schema.ts'
import { UnavailableError } from '../../common/errors.ts'
import type { AskFn, ClusterView, MissingPartition, PartitionOwner } from './types.ts'

export interface PartitionFanoutOptions {
  view: ClusterView
  /** Sends a request to a peer (node/: the libp2p query channel's `ask`). */
  ask: AskFn
  clock: Clock
  /** Ask the next owner when the current one has not answered this long (`query.hedge_after`). */
  hedgeAfterMs: number
}

/** Every answer says whether it may be incomplete (its node is catching up) and why. */
export interface FanoutAnswer { incomplete?: string }

/** One kind of query: what peers get, how this node answers, how a peer's bytes are read. */
export interface FanoutCall<A extends FanoutAnswer> {
  /** Names the query in the deadline's error, e.g. `trace by id`. */
  name: string
  /** The whole query's deadline. */
  timeoutMs: number
  /** The encoded request sent to every peer asked. */
  request: Uint8Array
  /** This node's own answer. */
  local: (signal: AbortSignal) => Promise<A>
  /** A peer's answer; throws on bytes it cannot read (that owner counts as failed). */
  decode: (bytes: Uint8Array) => A
}

/** One node's answer and the partitions it answered for. */
export interface NodeAnswer<A> {
  nodeId: string
  partitions: number[]
  answer: A
}

export interface FanoutResult<A> {
  /** One entry per node that answered, in the order of the first partition each answered. */
  answers: NodeAnswer<A>[]
  /** Partitions without an answer, by id. Empty when every partition answered. */
  missing: MissingPartition[]
}

interface Candidate extends PartitionOwner { readonly ready: boolean }

type Outcome<A> =
  | { partition: number, ok: true, nodeId: string, answer: A }
  | { partition: number, ok: false, reason: string }

export class PartitionFanout {
  readonly #opts: PartitionFanoutOptions

  constructor (opts: PartitionFanoutOptions) {
    if (!(opts.hedgeAfterMs >= 0)) throw new RangeError(`hedgeAfterMs must be >= 0, got ${opts.hedgeAfterMs}`)
    this.#opts = opts
  }

  /**
   * Rejects only when `signal` aborts (with its reason) or the ring has no partition; owner
   * failures and the deadline become `missing` partitions.
   */
  async run<A extends FanoutAnswer> (call: FanoutCall<A>, signal?: AbortSignal): Promise<FanoutResult<A>> {
    if (!(call.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${call.timeoutMs}`)
    signal?.throwIfAborted()
    const partitions = [...new Set(this.#opts.view.partitions())].sort((a, b) => a - b)
    if (partitions.length === 0) throw new UnavailableError('empty ring: no partition to query')
    const scope = new QueryScope(this.#opts, call, signal)
    try {
      const outcomes = await Promise.all(partitions.map((p) => this.#race(p, scope, call.timeoutMs)))
      signal?.throwIfAborted()
      return summarize(outcomes)
    } finally {
      scope.close()
    }
  }

  #race<A extends FanoutAnswer> (partition: number, scope: QueryScope<A>, timeoutMs: number): Promise<Outcome<A>> {
    const owners = this.#opts.view.owners(partition)
    const candidates = [...orderCandidates(owners, this.#opts.view.preferredZone), ...lastResort(owners)]
    if (candidates.length === 0) return Promise.resolve({ partition, ok: false, reason: 'no owner in the ring' })
    const { clock, hedgeAfterMs } = this.#opts
    return new Promise((resolve) => {
      const failures: string[] = []
      const inFlight = new Map<NodeCall<A>, Candidate>()
      let next = 0
      let done = false
      let hedge: Timer | undefined
      /** The first incomplete answer: the result if no owner gives a complete one. */
      let fallback: Outcome<A> | undefined

      const finish = (outcome: Outcome<A>): void => {
        if (done) return
        done = true
        hedge?.cancel()
        scope.signal.removeEventListener('abort', onAbort)
        for (const call of inFlight.keys()) scope.release(call)
        inFlight.clear()
        resolve(outcome)
      }
      const fail = (): void => finish(fallback ?? { partition, ok: false, reason: failures.join(', ') })
      const readyInFlight = (): boolean => [...inFlight.values()].some((c) => c.ready)

      const launchNext = (): boolean => {
        const cand = candidates[next]
        if (cand === undefined || (!cand.ready && readyInFlight())) return false
        next++
        const call = scope.acquire(cand.nodeId)
        inFlight.set(call, cand)
        const giveUp = (why: string): void => {
          inFlight.delete(call)
          scope.release(call)
          failures.push(`${cand.nodeId}: ${cand.healthy ? '' : 'unhealthy here, asked anyway: '}${why}`)
          if (!launchNext() && inFlight.size === 0) fail()
        }
        call.promise.then(
          (answer) => {
            if (done || !inFlight.has(call)) return
            const outcome: Outcome<A> = { partition, ok: true, nodeId: cand.nodeId, answer }
            if (answer.incomplete === undefined) return finish(outcome)
            fallback ??= outcome
            giveUp(`incomplete: ${answer.incomplete}`)
          },
          (err: unknown) => { if (!done && inFlight.has(call)) giveUp(reasonOf(err)) })
        hedge?.cancel()
        hedge = next < candidates.length ? clock.setTimeout(() => { hedge = undefined; if (!done) launchNext() }, hedgeAfterMs) : undefined
        return true
      }

      const onAbort = (): void => {
        const why = scope.timedOut ? `no answer within ${formatDuration(timeoutMs)}` : 'query cancelled'
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

/**
 * The owners this node's view calls unhealthy, asked only when no healthy owner answered: the
 * view may be the stale one (this process was paused or cut off and has not heard the heartbeats
 * since), and a dead owner fails at once (not connected). The chaos run's SIGSTOP step failed
 * queries right after SIGCONT before this.
 */
function lastResort (owners: readonly PartitionOwner[]): Candidate[] {
  const seen = new Set(owners.filter((o) => o.healthy).map((o) => o.nodeId))
  const out: Candidate[] = []
  for (const o of owners) {
    if (seen.has(o.nodeId)) continue
    seen.add(o.nodeId)
    out.push({ ...o, ready: false })
  }
  return out
}

/**
 * One line per node that answered while catching up (`incomplete` set), naming the partitions
 * its answer covered: `partitions 0, 1 from a-1: live-store is catching up`.
 */
export function incompleteNotes<A extends { incomplete?: string }> (answers: readonly NodeAnswer<A>[]): string[] {
  const notes: string[] = []
  for (const { nodeId, partitions, answer } of answers) {
    if (answer.incomplete === undefined) continue
    notes.push(`${partitions.length === 1 ? 'partition' : 'partitions'} ${partitions.join(', ')} from ${nodeId}: ${answer.incomplete}`)
  }
  return notes
}

interface NodeCall<A> {
  readonly nodeId: string
  readonly promise: Promise<A>
  readonly controller: AbortController
  users: number
  settled: boolean
}

/** One query's deadline, cancellation and per-node memo of calls. */
class QueryScope<A extends FanoutAnswer> {
  readonly #controller = new AbortController()
  readonly #calls = new Map<string, NodeCall<A>>()
  readonly #timer: Timer
  readonly #outer: AbortSignal | undefined
  readonly #onOuterAbort = (): void => { this.#controller.abort(this.#outer?.reason) }
  timedOut = false

  constructor (
    private readonly opts: PartitionFanoutOptions,
    private readonly call: FanoutCall<A>,
    outer: AbortSignal | undefined,
  ) {
    this.#outer = outer
    // Every partition's race and every node call listen on this one signal, by design: without
    // this Node warns (MaxListenersExceededWarning) for any query over more than 10 partitions.
    setMaxListeners(0, this.#controller.signal)
    this.#timer = opts.clock.setTimeout(() => {
      this.timedOut = true
      this.#controller.abort(new UnavailableError(`${call.name}: no answer within ${formatDuration(call.timeoutMs)}`))
    }, call.timeoutMs)
    outer?.addEventListener('abort', this.#onOuterAbort, { once: true })
  }

  get signal (): AbortSignal { return this.#controller.signal }

  /** The node's call for this query, started on first use. */
  acquire (nodeId: string): NodeCall<A> {
    let call = this.#calls.get(nodeId)
    if (call === undefined) {
      const controller = new AbortController()
      const signal = AbortSignal.any([this.#controller.signal, controller.signal])
      const { ask, view } = this.opts
      const { local, decode, request } = this.call
      const run = async (): Promise<A> => nodeId === view.selfId
        ? await local(signal)
        : decode(await ask(nodeId, request, signal))
      const created: NodeCall<A> = { nodeId, controller, users: 0, settled: false, promise: run() }
      created.promise.then(() => { created.settled = true }, () => { created.settled = true })
      this.#calls.set(nodeId, created)
      call = created
    }
    call.users++
    return call
  }

  /** A partition stops waiting on `call`; the last one aborts it if it is still running. */
  release (call: NodeCall<A>): void {
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

function summarize<A> (outcomes: readonly Outcome<A>[]): FanoutResult<A> {
  const missing: MissingPartition[] = []
  const answers = new Map<string, NodeAnswer<A>>()
  for (const o of outcomes) {
    if (!o.ok) { missing.push({ partition: o.partition, reason: o.reason }); continue }
    const seen = answers.get(o.nodeId)
    if (seen === undefined) answers.set(o.nodeId, { nodeId: o.nodeId, partitions: [o.partition], answer: o.answer })
    else seen.partitions.push(o.partition)
  }
  return { answers: [...answers.values()], missing }
}

function reasonOf (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text === '' ? (err instanceof Error ? err.name : 'failed') : text
}
