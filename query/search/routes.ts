/**
 * The search endpoints of the public API (tempo-behaviour.md §6.1): `GET /api/search`,
 * `/api/search/tags`, `/api/v2/search/tags`, `/api/search/tag/{name}/values` and
 * `/api/v2/search/tag/{name}/values`, registered on app.ts's `/api` router (so they carry
 * `http_api_prefix`, the readiness check and the tenant middleware).
 *
 * Each request: readiness → tenant(s) → a slot among `query.max_concurrent_searches` (else 429
 * `too many outstanding requests`) → parameters (params.ts; 400) → `?partial` → the query, on
 * this node (every tenant of `a|b`, merged) or, in cluster mode, across the ring's owners → the
 * JSON (render.ts).
 *
 * Cancellation: the query stops when the client disconnects (answered 499 with no body, as
 * Tempo drops client-cancelled requests) and at `query.search_timeout`. On one node the timeout
 * fails the query (500, Tempo's querier answers its deadline with an internal error); across the
 * cluster partitions without an answer by then are missing, which fails the query (500 naming
 * them) unless partial answers are asked for.
 *
 * Partial answers (difference (d), as trace by id): missing partitions and owners that answered
 * while catching up are reported as `X-Livestore-Partial` (why) and
 * `X-Livestore-Missing-Partitions` (which) headers, and in the body as
 * `"status":"PARTIAL","message":…,"missingPartitions":[…]` next to Tempo's fields.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { every } from 'hono/combine'
import type { Clock } from '../../common/clock.ts'
import { formatDuration } from '../../common/config-schema.ts'
import { LimitExceededError, LiveStoreError } from '../../common/errors.ts'
import type { Readiness } from '../../common/readiness.ts'
import { describeMissing, PartitionUnavailableError } from '../cluster/errors.ts'
import type { ClusterPartial, ClusterSearch } from '../cluster/search-fanout.ts'
import type { QueryConfig } from '../config.ts'
import { parsePartialParam } from '../params.ts'
import { MISSING_PARTITIONS_HEADER, PARTIAL_HEADER, headerValue } from '../render.ts'
import type { QueryEnv } from '../tenant.ts'
import { mergeTagNames } from './merge.ts'
import { createNodeSearch } from './node-answer.ts'
import { parseSearchParams, parseTagNamesParams, parseTagValuesParams } from './params.ts'
import { searchResponseJson, tagNamesV1Json, tagNamesV2Json, tagValuesV1Json, tagValuesV2Json } from './render.ts'
import type { PartialInfo } from './render.ts'
import type { CompiledSearch, LocalSearch, TagRef } from './types.ts'

/** What search needs from the engine: injected, so the HTTP layer does not depend on it. */
export interface SearchDeps {
  /** This node's search over its store and blocks (query/search/local.ts). */
  localSearch: LocalSearch
  /** TraceQL text → a runnable query; throws InvalidArgumentError (400) when it does not parse. */
  compile: (query: string) => CompiledSearch
  /** A v2 tag name (`resource.service.name`, `.foo`, `name`) → its scope and name; throws when invalid. */
  parseTagRef: (name: string) => TagRef
}

export interface SearchRoutesOptions extends SearchDeps {
  /** Cluster mode: queries ask one owner per partition instead of only this node. */
  clusterSearch?: ClusterSearch
  readiness: Readiness
  config: QueryConfig
  /** Runs `query.search_timeout` on one node; without it a system timer is used. */
  clock?: Clock
  /** Readiness and tenant middleware of the API (app.ts), in that order. */
  before: MiddlewareHandler<QueryEnv>[]
}

/** The deadline passed: 500, as Tempo's querier answers its own deadline. */
export class QueryTimeoutError extends LiveStoreError {
  static override readonly code = 'deadline_exceeded'
}

const JSON_TYPE = 'application/json'

export function registerSearchRoutes (api: Hono<QueryEnv>, opts: SearchRoutesOptions): void {
  const { compile, clusterSearch, config } = opts
  const node = createNodeSearch({ localSearch: opts.localSearch, readiness: opts.readiness })
  const slots = concurrencyLimit(config.query.max_concurrent_searches)
  const mw = every(...opts.before, slots)

  /** Runs the query on this node or across the cluster; applies `partial`, the signals and the deadline. */
  const execute = async <R extends ClusterPartial>(
    c: Context<QueryEnv>,
    local: (signal: AbortSignal) => Promise<R>,
    cluster: ((signal: AbortSignal) => Promise<R>) | undefined,
  ): Promise<{ result: R, partial: PartialInfo } | Response> => {
    const partialOk = parsePartialParam(c.req.query('partial'), config.query.partial_results)
    const client = c.req.raw.signal
    const timeoutMs = config.query.search_timeout
    let result: R
    try {
      // Across the cluster the fan-out owns the deadline (partitions late by then are missing).
      result = cluster !== undefined ? await cluster(client) : await withTimeout(client, timeoutMs, opts.clock, local)
    } catch (err) {
      if (client.aborted) return new Response(null, { status: 499 })
      throw err
    }
    if (result.missing.length > 0 && !partialOk) throw new PartitionUnavailableError(result.missing)
    const notes = result.missing.length === 0 ? result.incomplete : [describeMissing(result.missing), ...result.incomplete]
    const partial: PartialInfo = {}
    if (notes.length > 0) {
      partial.reason = notes.join('; ')
      c.header(PARTIAL_HEADER, headerValue(partial.reason))
    }
    if (result.missing.length > 0) {
      partial.missingPartitions = result.missing.map((m) => m.partition)
      c.header(MISSING_PARTITIONS_HEADER, partial.missingPartitions.join(','))
    }
    return { result, partial }
  }
  const query = (c: Context<QueryEnv>): URLSearchParams => new URL(c.req.url).searchParams
  const json = (c: Context<QueryEnv>, body: string): Response => c.body(body, 200, { 'content-type': JSON_TYPE })

  api.get('/api/search', mw, async (c) => {
    const tenants = c.get('tenants')
    const { compiled, request } = parseSearchParams(query(c), compile)
    const out = await execute(c,
      async (signal) => localPartial(await node.search(tenants, compiled, request, signal)),
      clusterSearch === undefined ? undefined : (signal) => clusterSearch.search(tenants, compiled, request, { signal }))
    return out instanceof Response ? out : json(c, searchResponseJson(out.result.result, out.partial))
  })

  for (const version of [1, 2] as const) {
    api.get(version === 1 ? '/api/search/tags' : '/api/v2/search/tags', mw, async (c) => {
      const tenants = c.get('tenants')
      const { request, limit } = parseTagNamesParams(query(c), compile)
      const out = await execute(c,
        async (signal) => localPartial(await node.tagNames(tenants, request, signal)),
        clusterSearch === undefined ? undefined : (signal) => clusterSearch.tagNames(tenants, request, { signal }))
      if (out instanceof Response) return out
      const scopes = mergeTagNames([out.result.scopes], limit)
      // v1 lists attribute names; intrinsics only when asked for by scope.
      if (version === 1 && request.scope === undefined) scopes.delete('intrinsic')
      return json(c, version === 1 ? tagNamesV1Json(scopes, out.partial) : tagNamesV2Json(scopes, out.partial))
    })

    api.get(version === 1 ? '/api/search/tag/:tagName/values' : '/api/v2/search/tag/:tagName/values', mw, async (c) => {
      const tenants = c.get('tenants')
      const request = parseTagValuesParams(c.req.param('tagName'), version, query(c), opts)
      const out = await execute(c,
        async (signal) => localPartial(await node.tagValues(tenants, request, signal)),
        clusterSearch === undefined ? undefined : (signal) => clusterSearch.tagValues(tenants, request, { signal }))
      if (out instanceof Response) return out
      return json(c, version === 1 ? tagValuesV1Json(out.result.values, out.partial) : tagValuesV2Json(out.result.values, out.partial))
    })
  }
}

/** A node's own answer in the cluster's shape: nothing missing, its catching-up reason if any. */
function localPartial<T extends { incomplete?: string }> (answer: T): Omit<T, 'incomplete'> & ClusterPartial {
  const { incomplete, ...rest } = answer
  return { ...rest, missing: [], incomplete: incomplete === undefined ? [] : [incomplete] }
}

/**
 * Runs `work` until the client goes away or `timeoutMs` passes, whichever comes first (even if
 * `work` does not stop when its signal aborts); a timeout rejects with QueryTimeoutError.
 */
async function withTimeout<T> (client: AbortSignal, timeoutMs: number, clock: Clock | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = new AbortController()
  const error = new QueryTimeoutError(`context deadline exceeded: no answer within ${formatDuration(timeoutMs)} (query.search_timeout)`, { retriable: true })
  const timer = clock === undefined ? undefined : clock.setTimeout(() => deadline.abort(error), timeoutMs)
  const signal = clock === undefined
    ? AbortSignal.any([client, deadline.signal, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.any([client, deadline.signal])
  let onAbort = (): void => {}
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(client.aborted ? client.reason : error)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  stopped.catch(() => {})
  try {
    signal.throwIfAborted()
    return await Promise.race([work(signal), stopped])
  } catch (err) {
    if (signal.aborted && !client.aborted) throw error
    throw err
  } finally {
    timer?.cancel()
    signal.removeEventListener('abort', onAbort)
  }
}

/** At most `max` requests at once through this middleware; the next one gets 429. */
function concurrencyLimit (max: number): MiddlewareHandler<QueryEnv> {
  let running = 0
  return async function searchSlots (_c, next) {
    if (running >= max) throw new LimitExceededError('too many outstanding requests')
    running++
    try {
      await next()
    } finally {
      running--
    }
  }
}
