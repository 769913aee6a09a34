import { Hono } from 'hono'
import type { Context, MiddlewareHandler } from 'hono'
import { compress } from 'hono/compress'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Registry } from 'prom-client'
import { stringify as toYaml } from 'yaml'
import type { Clock } from '../common/clock.ts'
import { LiveStoreError, NotFoundError, NotReadyError, httpStatusOf } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import type { TracesData } from '../common/otlp/model.ts'
import type { Readiness } from '../common/readiness.ts'
import { combineTraces } from '../common/otlp/combine.ts'
import { normalizeApiPrefix } from './config.ts'
import type { QueryConfig } from './config.ts'
import { describeMissing, PartitionUnavailableError } from './cluster/errors.ts'
import type { ClusterSearch } from './cluster/search-fanout.ts'
import type { ClusterFinder } from './cluster/types.ts'
import { parsePartialParam, parseTraceByIdParams } from './params.ts'
import type { QueryMode } from './params.ts'
import { MISSING_PARTITIONS_HEADER, PARTIAL_HEADER, headerValue, traceByIdV2Json, traceByIdV2Proto, traceV1Json, traceV1Proto } from './render.ts'
import { registerSearchRoutes } from './search/routes.ts'
import type { SearchDeps } from './search/routes.ts'
import { tenantMiddleware } from './tenant.ts'
import type { QueryEnv } from './tenant.ts'
import { parseTraceId } from './trace-id.ts'

export { MISSING_PARTITIONS_HEADER, PARTIAL_HEADER } from './render.ts'

/** Where a single node reads traces from: its own store (memory and blocks). */
export interface TraceFinder {
  findTraceById (tenant: string, traceId: Buffer): TracesData | null | Promise<TracesData | null>
}

/** Served at `/api/status/buildinfo` (Prometheus' PrometheusVersion fields). */
export interface BuildInfo {
  version: string
  revision?: string
  branch?: string
  buildUser?: string
  buildDate?: string
}

export interface QueryAppOptions {
  /** This node's store; every query reads it when there is no `cluster`. */
  store: TraceFinder
  /**
   * The cluster fan-out (query/cluster/): when given, trace-by-id asks one owner per partition
   * of the ring instead of reading `store`, and missing partitions fail the query (500) unless
   * partial results are asked for (`?partial=true` or `query.partial_results`).
   */
  cluster?: ClusterFinder
  /**
   * Search, tag names and tag values (query/search/routes.ts): this node's search and the TraceQL
   * engine. Without it the search endpoints are not served (404).
   */
  search?: SearchDeps
  /** Cluster mode for search: one owner per partition answers, as `cluster` does for traces. */
  clusterSearch?: ClusterSearch
  /** Runs `query.search_timeout` (a system timer without it). */
  clock?: Clock
  readiness: Readiness
  /** What `/metrics` serves: the node's registry, or one that also gathers worker threads'. */
  registry: Pick<Registry, 'metrics' | 'contentType'>
  logger: Logger
  /** This app's own settings (multitenancy, API prefix). */
  config: QueryConfig
  buildInfo: BuildInfo
  /** The node's effective config, served as YAML at `/status/config` (404 when absent). */
  statusConfig?: unknown
}

const JSON_TYPE = 'application/json'
const PROTOBUF_TYPE = 'application/protobuf'
/** What the compress middleware may gzip: text, JSON, protobuf and the Prometheus exposition. */
const COMPRESSIBLE = /^(text\/|application\/(json|protobuf)|application\/openmetrics-text)/i

/**
 * The public HTTP API (Tempo's paths and shapes, `tempo-behaviour.md` §6). `/api/...` paths carry
 * `http_api_prefix`; `/ready`, `/metrics` and `/status/config` never do (as in Tempo). Every
 * query endpoint checks readiness first, then the tenant, then its parameters; every error goes
 * through the one `onError`, which takes the status from `httpStatusOf`.
 */
export function createQueryApp (opts: QueryAppOptions): Hono {
  const { store, cluster, readiness, registry, logger, buildInfo } = opts
  const app = new Hono()
  app.use(compress({ contentTypeFilter: COMPRESSIBLE }))

  app.onError((err, c) => {
    const status = httpStatusOf(err) as ContentfulStatusCode
    if (status === 500) logger.error({ err, method: c.req.method, path: c.req.path }, 'query request failed')
    if (err instanceof LiveStoreError && err.retriable && status === 503) c.header('Retry-After', '1')
    // Tempo answers a missing trace with 404 and an empty body: NotFoundError('') carries that.
    return err.message === '' ? c.body(null, status) : c.text(err.message, status)
  })
  app.notFound((c) => c.text('404 page not found\n', 404))

  // A node catching up after a start serves what it has (its blocks and what it replayed so
  // far), marking answers as possibly incomplete; /ready still says it is not ready. In cluster
  // mode the answer comes from the partitions' owners, and the fan-out says whether it is
  // incomplete (this node is asked only when no ready owner answers).
  const ready: MiddlewareHandler<QueryEnv> = async function ready (c, next) {
    if (readiness.state() === 'catching-up') {
      if (cluster === undefined) c.header(PARTIAL_HEADER, readiness.reason())
    } else checkReady(readiness)
    await next()
  }
  const tenant = tenantMiddleware({ multitenancyEnabled: opts.config.multitenancy_enabled })

  const find = async (c: Context<QueryEnv>): Promise<Found> => {
    const traceId = parseTraceId(c.req.param('traceId'))
    const { mode } = parseTraceByIdParams((name) => c.req.query(name))
    const partial = parsePartialParam(c.req.query('partial'), opts.config.query.partial_results)
    if (cluster === undefined) {
      const partialReason = readiness.state() === 'catching-up' ? readiness.reason() : undefined
      if (!readsLiveTraces(mode)) return { trace: null, partialReason, missingPartitions: [] }
      const parts = await Promise.all(c.get('tenants').map((t) => store.findTraceById(t, traceId)))
      return { trace: combineTraces(parts), partialReason, missingPartitions: [] }
    }
    if (!readsLiveTraces(mode)) return { trace: null, partialReason: undefined, missingPartitions: [] }
    const result = await cluster.findTraceById(c.get('tenants'), traceId, { signal: c.req.raw.signal })
    if (result.missing.length > 0 && !partial) throw new PartitionUnavailableError(result.missing)
    const notes = result.missing.length === 0 ? result.incomplete : [describeMissing(result.missing), ...result.incomplete]
    const partialReason = notes.length === 0 ? undefined : notes.join('; ')
    const missingPartitions = result.missing.map((m) => m.partition)
    if (partialReason !== undefined) c.header(PARTIAL_HEADER, headerValue(partialReason))
    if (missingPartitions.length > 0) c.header(MISSING_PARTITIONS_HEADER, missingPartitions.join(','))
    return { trace: result.trace, partialReason, missingPartitions }
  }

  const api = new Hono<QueryEnv>()
  api.get('/api/echo', (c) => c.text('echo\n'))
  api.get('/api/status/buildinfo', (c) => c.json({
    version: buildInfo.version,
    revision: buildInfo.revision ?? '',
    branch: buildInfo.branch ?? '',
    buildUser: buildInfo.buildUser ?? '',
    buildDate: buildInfo.buildDate ?? '',
    goVersion: process.version,
  }))

  // The bare paths (with or without a trailing slash) answer Tempo's "please provide a traceID".
  api.on('GET', ['/api/traces/:traceId?', '/api/traces/'], ready, tenant, async (c) => {
    const { trace } = await find(c)
    if (trace === null) throw new NotFoundError('')
    return wantsProtobuf(c.req.header('accept'))
      ? c.body(new Uint8Array(traceV1Proto(trace)), 200, { 'content-type': PROTOBUF_TYPE })
      : c.body(traceV1Json(trace), 200, { 'content-type': JSON_TYPE })
  })

  api.on('GET', ['/api/v2/traces/:traceId?', '/api/v2/traces/'], ready, tenant, async (c) => {
    const { trace, partialReason, missingPartitions } = await find(c)
    return wantsProtobuf(c.req.header('accept'))
      ? c.body(new Uint8Array(traceByIdV2Proto(trace, partialReason)), 200, { 'content-type': PROTOBUF_TYPE })
      : c.body(traceByIdV2Json(trace, partialReason, missingPartitions), 200, { 'content-type': JSON_TYPE })
  })

  if (opts.search !== undefined) {
    registerSearchRoutes(api, {
      ...opts.search,
      ...(opts.clusterSearch === undefined ? {} : { clusterSearch: opts.clusterSearch }),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
      readiness,
      config: opts.config,
      before: [ready, tenant],
    })
  }

  app.route(normalizeApiPrefix(opts.config.http_api_prefix), api)

  app.get('/ready', (c) => {
    checkReady(readiness)
    return c.text('ready\n')
  })
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }))
  app.get('/status/config', (c) => {
    if (opts.statusConfig === undefined) throw new NotFoundError('no config to show')
    return c.text(toYaml(opts.statusConfig))
  })
  return app
}

/** A trace-by-id answer and why it may be incomplete (undefined: complete). */
interface Found {
  trace: TracesData | null
  partialReason: string | undefined
  missingPartitions: number[]
}

function checkReady (readiness: Readiness): void {
  const state = readiness.state()
  if (state === 'ready') return
  const reason = readiness.reason()
  throw new NotReadyError(reason === '' ? `live-store is ${state}` : reason)
}

/**
 * The live store is what Tempo's querier reaches in modes `all` and `ingesters` (the recent
 * data); `blocks` and `external` ask for backend and external storage only, which a live-store
 * node does not hold, so they find nothing here.
 */
function readsLiveTraces (mode: QueryMode): boolean {
  return mode === 'all' || mode === 'ingesters'
}

/** Tempo compares `Accept` to `application/protobuf`; we also allow parameters and a list led by it. */
function wantsProtobuf (accept: string | undefined): boolean {
  if (accept === undefined) return false
  const first = accept.split(',')[0]?.split(';')[0]?.trim().toLowerCase()
  return first === PROTOBUF_TYPE
}
