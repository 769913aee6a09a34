import type { Clock } from '../../common/clock.ts'
import { NotReadyError, UnavailableError } from '../../common/errors.ts'
import { combineTraces } from '../../common/otlp/combine.ts'
import { formatDuration } from '../../common/config-schema.ts'
import type { Readiness } from '../../common/readiness.ts'
import type { TraceFinder } from '../app.ts'
import { createNodeSearch } from '../search/node-answer.ts'
import type { NodeSearch } from '../search/node-answer.ts'
import type { CompiledSearch, LocalSearch, SearchRequest, TagNamesRequest, TagValuesRequest } from '../search/types.ts'
import { QueryProtocolError } from './errors.ts'
import { Op, decodeTraceByIdRequest, defaultProtocolLimits, encodeTraceByIdResponse, peekOp } from './protocol.ts'
import type { ProtocolLimits } from './protocol.ts'
import {
  decodeSearchRequest, decodeTagNamesRequest, decodeTagValuesRequest, encodeSearchResponse, encodeTagNamesResponse, encodeTagValuesResponse,
} from './search-protocol.ts'
import type { LocalLookupFn } from './types.ts'

export interface LocalLookupOptions {
  /** This node's store (memory and blocks). */
  finder: TraceFinder
  readiness: Readiness
}

/**
 * This node's own answer to a trace-by-id lookup, as Tempo's live-store answers FindTraceByID
 * (tempo-behaviour.md §5.3): readiness first (starting or stopping → NotReadyError, so the asker
 * tries another owner), then every tenant's trace merged. While catching up it answers with what
 * it has and says so in `incomplete`. Used for local calls by the fan-out and by the handler below.
 */
export function createLocalTraceLookup (opts: LocalLookupOptions): LocalLookupFn {
  const { finder, readiness } = opts
  return async (tenants, traceId, signal) => {
    signal?.throwIfAborted()
    const state = readiness.state()
    if (state === 'starting' || state === 'stopping') {
      const reason = readiness.reason()
      throw new NotReadyError(reason === '' ? `live-store is ${state}` : reason)
    }
    const trace = combineTraces(await Promise.all(tenants.map((t) => finder.findTraceById(t, traceId))))
    if (state !== 'catching-up') return { trace }
    const reason = readiness.reason()
    return { trace, incomplete: reason === '' ? 'live-store is catching up' : reason }
  }
}

export interface InternalQueryHandlerOptions extends LocalLookupOptions {
  limits?: ProtocolLimits
  /**
   * This node's search over its store and blocks; without it the search operations fail (the
   * asker moves on to another owner).
   */
  localSearch?: LocalSearch
  /** Compiles the TraceQL text a peer sends (query/traceql/ `compileTraceQL`). */
  compile?: (query: string) => CompiledSearch
  /** Bounds the work of one search operation (`query.search_timeout`), on `clock`. */
  searchTimeoutMs?: number
  clock?: Clock
}

/**
 * The server side of the internal query protocol: decodes a request, answers it from this node's
 * data and encodes the answer; the operation byte picks trace by id, search, tag names or tag
 * values. Every failure (bad bytes, not ready, a response above the limit) is thrown; the
 * transport carries the error text back and the asker moves on to the next owner.
 * Plug it into the query channel: `query.serve(createInternalQueryHandler({ finder, readiness, localSearch, compile }))`.
 */
export function createInternalQueryHandler (opts: InternalQueryHandlerOptions): (from: string, request: Uint8Array) => Promise<Uint8Array> {
  const limits = opts.limits ?? defaultProtocolLimits
  const lookup = createLocalTraceLookup(opts)
  const searcher = opts.localSearch === undefined || opts.compile === undefined
    ? undefined
    : { node: createNodeSearch({ localSearch: opts.localSearch, readiness: opts.readiness }), compile: opts.compile }
  return async (_from, request) => {
    const op = peekOp(request)
    if (op === Op.TraceById) {
      const req = decodeTraceByIdRequest(request, limits)
      return encodeTraceByIdResponse(await lookup(req.tenants, req.traceId), limits)
    }
    if (searcher === undefined) throw new QueryProtocolError(`internal query operation ${op} (search) is not served by this node`)
    return await withDeadline(opts, (signal) => serveSearch(op, request, searcher.node, searcher.compile, limits, signal))
  }
}

async function serveSearch (op: number, request: Uint8Array, node: NodeSearch, compile: (q: string) => CompiledSearch, limits: ProtocolLimits, signal: AbortSignal): Promise<Uint8Array> {
  if (op === Op.Search) {
    const req = decodeSearchRequest(request, limits)
    const search: SearchRequest = { query: req.query, window: req.window, limit: req.limit, spss: req.spss }
    if (req.minDurationNanos !== undefined) search.minDurationNanos = req.minDurationNanos
    if (req.maxDurationNanos !== undefined) search.maxDurationNanos = req.maxDurationNanos
    return encodeSearchResponse(await node.search(req.tenants, compile(req.query), search, signal), limits)
  }
  if (op === Op.TagNames) {
    const req = decodeTagNamesRequest(request, limits)
    const names: TagNamesRequest = { window: req.window }
    if (req.scope !== undefined) names.scope = req.scope
    if (req.query !== undefined) names.filter = compile(req.query)
    return encodeTagNamesResponse(await node.tagNames(req.tenants, names, signal), limits)
  }
  const req = decodeTagValuesRequest(request, limits)
  const values: TagValuesRequest = { tag: req.tag, window: req.window, limit: req.limit }
  if (req.query !== undefined) values.filter = compile(req.query)
  return encodeTagValuesResponse(await node.tagValues(req.tenants, values, signal), limits)
}

/** Runs `work` with a signal that aborts after `searchTimeoutMs` (never, without a clock and timeout). */
async function withDeadline<T> (opts: InternalQueryHandlerOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { clock, searchTimeoutMs } = opts
  const controller = new AbortController()
  const timer = clock === undefined || searchTimeoutMs === undefined
    ? undefined
    : clock.setTimeout(() => controller.abort(new UnavailableError(`search: no answer within ${formatDuration(searchTimeoutMs)}`)), searchTimeoutMs)
  try {
    return await work(controller.signal)
  } finally {
    timer?.cancel()
  }
}
