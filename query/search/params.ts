/**
 * Tempo's validation of the search endpoints' parameters (tempo-behaviour.md §6.1, §6.3):
 * `pkg/api/http.go ParseSearchRequest` followed by the query frontend's checks, in that order,
 * with Tempo's messages. Every failure is an InvalidArgumentError (400, the message as the body).
 *
 * Order for `/api/search` (a request with several problems names the first):
 * start, end (uint32 seconds) → q / tags (both: 400) → legacy bare `?key=value` tags (only when
 * there is no q, tags, start or end) → minDuration, maxDuration (Go durations) → limit, spss
 * (positive uint32) → start before end → limit ≤ 262,144 → the TraceQL query → range ≤ 168h →
 * spss ≤ 100.
 *
 * Decisions where Tempo offers no single answer for a live store:
 * - no start/end searches everything this node holds (its live window), as Tempo's live-store
 *   search does; only `start` without `end` fails Tempo's "start must be before end" check;
 * - `tags` (and legacy tags) become TraceQL (tagsToTraceQL below), so one engine serves both.
 */
import { InvalidArgumentError } from '../../common/errors.ts'
import type { SearchWindow } from '../../common/search/prefilter.ts'
import { LogfmtSyntaxError, atoi, decodeLogfmt, parseGoDuration, parseInt32, parseUint } from './go-syntax.ts'
import type { CompiledSearch, SearchRequest, TagNamesRequest, TagRef, TagScope, TagValuesRequest } from './types.ts'

export const DEFAULT_SEARCH_LIMIT = 20
/** Tempo's query-frontend `search.max_result_limit` default. */
export const MAX_SEARCH_LIMIT = 262_144
export const DEFAULT_SPANS_PER_SPAN_SET = 3
/** Tempo's query-frontend `search.max_spans_per_span_set` default. */
export const MAX_SPANS_PER_SPAN_SET = 100
/** Tempo's query-frontend `search.max_duration` default (168h). */
export const MAX_SEARCH_RANGE_SECONDS = 168 * 3600
/** Tag values answered when the request gives no `limit` (Tempo bounds them by bytes only; we also cap the count). */
export const DEFAULT_TAG_VALUES_LIMIT = 10_000

/** Parameters Tempo never reads as legacy tags; `partial` is ours (difference (d)). */
const RESERVED = new Set(['q', 'tags', 'minDuration', 'maxDuration', 'limit', 'spss', 'start', 'end', 'partial'])

export interface ParsedSearch {
  compiled: CompiledSearch
  request: SearchRequest
}

/** The URL's query (first value of each name, as Go's `url.Values.Get`). */
export type QueryParams = Pick<URLSearchParams, 'get' | 'keys'>

/**
 * Validates `/api/search` as Tempo does and compiles the query (`q`, or `tags` converted to
 * TraceQL). `compile` throws InvalidArgumentError for a query it cannot parse; the 400's body is
 * its message after Tempo's `invalid TraceQL query: `.
 */
export function parseSearchParams (params: QueryParams, compile: (query: string) => CompiledSearch): ParsedSearch {
  const get = (name: string): string | undefined => nonEmpty(params.get(name))
  const start = optional(get('start'), (s) => parseUint(s, 32) as number, 'start')
  const end = optional(get('end'), (s) => parseUint(s, 32) as number, 'end')

  const q = get('q')
  const tagsText = get('tags')
  let tags = new Map<string, string>()
  if (tagsText !== undefined) {
    if (q !== undefined) throw new InvalidArgumentError("invalid request: can't specify tags and q in the same query")
    tags = parseTags(tagsText)
  }
  if (q === undefined && tagsText === undefined && start === 0 && end === 0) {
    // Old Grafana versions send tags as plain query parameters.
    for (const key of new Set(params.keys())) {
      const value = get(key)
      if (!RESERVED.has(key) && value !== undefined) tags.set(key, value)
    }
  }

  const minDurationMs = optional(get('minDuration'), durationMs, 'minDuration')
  let maxDurationMs = 0
  const maxText = get('maxDuration')
  if (maxText !== undefined) {
    maxDurationMs = optional(maxText, durationMs, 'maxDuration')
    if (minDurationMs !== 0 && minDurationMs > maxDurationMs) throw new InvalidArgumentError('invalid maxDuration: must be greater than minDuration')
  }
  const limit = optional(get('limit'), positive('limit'), 'limit')
  const spss = optional(get('spss'), positive('spss'), 'spss') || DEFAULT_SPANS_PER_SPAN_SET
  checkStartEnd(start, end)

  const wanted = limit === 0 ? DEFAULT_SEARCH_LIMIT : limit
  if (wanted > MAX_SEARCH_LIMIT) throw new InvalidArgumentError(`limit ${wanted} exceeds max limit ${MAX_SEARCH_LIMIT}`)
  const compiled = compileQuery(compile, q ?? tagsToTraceQL(tags))
  if (end - start > MAX_SEARCH_RANGE_SECONDS) {
    throw new InvalidArgumentError(`range specified by start and end exceeds 168h0m0s. received start=${start} end=${end}`)
  }
  if (spss > MAX_SPANS_PER_SPAN_SET) throw new InvalidArgumentError(`spans per span set exceeds ${MAX_SPANS_PER_SPAN_SET}. received ${spss}`)

  const request: SearchRequest = { query: compiled.query, window: windowOf(start, end), limit: wanted, spss }
  if (minDurationMs !== 0) request.minDurationNanos = BigInt(minDurationMs) * 1_000_000n
  if (maxDurationMs !== 0) request.maxDurationNanos = BigInt(maxDurationMs) * 1_000_000n
  return { compiled, request }
}

/** `/api/search/tags` and `/api/v2/search/tags`: `scope`, `q`, `start`, `end`, `limit` (per scope). */
export interface TagNamesParams {
  request: TagNamesRequest
  /** Names per scope at most; undefined = all. */
  limit: number | undefined
}

export function parseTagNamesParams (params: QueryParams, compile: (query: string) => CompiledSearch): TagNamesParams {
  const get = (name: string): string | undefined => nonEmpty(params.get(name))
  const scope = parseScope(get('scope'))
  const { window, filter, limit } = tagCommon(get, compile)
  const request: TagNamesRequest = { window }
  if (scope !== undefined) request.scope = scope
  if (filter !== undefined) request.filter = filter
  return { request, limit }
}

/**
 * `/api/search/tag/{name}/values` (v1: `name` is an attribute key, span's or resource's) and
 * `/api/v2/search/tag/{name}/values` (v2: a TraceQL identifier, parsed by `parseTagRef`).
 */
export function parseTagValuesParams (
  tagName: string,
  version: 1 | 2,
  params: QueryParams,
  deps: { compile: (query: string) => CompiledSearch, parseTagRef: (name: string) => TagRef },
): TagValuesRequest {
  if (tagName === '') throw new InvalidArgumentError('please provide a non-empty tagName')
  let tag: TagRef = { scope: 'any', name: tagName }
  if (version === 2) {
    try {
      tag = deps.parseTagRef(tagName)
    } catch (err) {
      throw new InvalidArgumentError(`please provide a valid tagName: ${(err as Error).message}`, { cause: err })
    }
  }
  const get = (name: string): string | undefined => nonEmpty(params.get(name))
  const { window, filter, limit } = tagCommon(get, deps.compile)
  const request: TagValuesRequest = { tag, window, limit: limit ?? DEFAULT_TAG_VALUES_LIMIT }
  if (filter !== undefined) request.filter = filter
  return request
}

const SCOPES: readonly TagScope[] = ['resource', 'span', 'intrinsic', 'event', 'link', 'instrumentation', 'trace']

/** Tempo's scope names; empty or `none` = every scope. */
export function parseScope (text: string | undefined): TagScope | undefined {
  if (text === undefined || text === 'none') return undefined
  if ((SCOPES as readonly string[]).includes(text)) return text as TagScope
  throw new InvalidArgumentError(`invalid scope: ${text}`)
}

/**
 * Tempo's `tags` search as TraceQL: one span set whose conditions must all hold, keys sorted.
 * `service.name` is the resource attribute, `name` the span name, `status`/`status.code` with
 * error|ok|unset the span status, `root.service.name`/`root.name` the trace's root, an integer
 * `http.status_code` an integer attribute; every other key an unscoped attribute (span, else
 * resource) equal to the string. No tags: `{}` (every trace).
 */
export function tagsToTraceQL (tags: ReadonlyMap<string, string>): string {
  const keys = [...tags.keys()].sort()
  if (keys.length === 0) return '{}'
  return `{ ${keys.map((k) => tagCondition(k, tags.get(k) as string)).join(' && ')} }`
}

function tagCondition (key: string, value: string): string {
  const str = JSON.stringify(value)
  switch (key) {
    case 'service.name': return `resource.service.name = ${str}`
    case 'name': return `name = ${str}`
    case 'root.service.name': return `trace:rootService = ${str}`
    case 'root.name': return `trace:rootName = ${str}`
    case 'status':
    case 'status.code':
      if (['error', 'ok', 'unset'].includes(value)) return `status = ${value}`
      break
    case 'http.status_code':
      if (/^-?[0-9]{1,18}$/.test(value)) return `${attribute(key)} = ${BigInt(value)}`
      break
  }
  return `${attribute(key)} = ${str}`
}

/** `.key`, or `."key"` when it holds characters a bare TraceQL attribute name cannot. */
function attribute (key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(key) ? `.${key}` : `.${JSON.stringify(key)}`
}

function parseTags (text: string): Map<string, string> {
  const tags = new Map<string, string>()
  let pairs: [string, string][]
  try {
    pairs = decodeLogfmt(text)
  } catch (err) {
    if (err instanceof LogfmtSyntaxError) throw new InvalidArgumentError(`invalid tags: ${err.msg} at pos ${err.pos}`)
    throw err
  }
  for (const [k, v] of pairs) {
    if (tags.has(k)) throw new InvalidArgumentError(`invalid tags: tag ${k} has been set twice`)
    tags.set(k, v)
  }
  return tags
}

/** start, end, q and limit of the tag endpoints (`start`/`end` parsed as Tempo does there: ParseInt). */
function tagCommon (get: (name: string) => string | undefined, compile: (query: string) => CompiledSearch): { window: SearchWindow, filter: CompiledSearch | undefined, limit: number | undefined } {
  const start = optional(get('start'), uint32OfInt32, 'start')
  const end = optional(get('end'), uint32OfInt32, 'end')
  checkStartEnd(start, end)
  const limitText = get('limit')
  const limit = limitText === undefined ? undefined : optional(limitText, atoi, 'limit')
  const q = get('q')
  const filter = q === undefined || q === '{}' ? undefined : compileQuery(compile, q)
  return { window: windowOf(start, end), filter, limit: limit === undefined || limit <= 0 ? undefined : limit }
}

/** Tempo's wording for a query that does not compile: `invalid TraceQL query: <the parser's message>`. */
function compileQuery (compile: (query: string) => CompiledSearch, text: string): CompiledSearch {
  try {
    return compile(text)
  } catch (err) {
    if (!(err instanceof InvalidArgumentError) || err.message.startsWith('invalid TraceQL query')) throw err
    throw new InvalidArgumentError(`invalid TraceQL query: ${err.message}`, { cause: err })
  }
}

function checkStartEnd (start: number, end: number): void {
  if ((start !== 0 || end !== 0) && end <= start) {
    throw new InvalidArgumentError(`http parameter start must be before end. received start=${start} end=${end}`)
  }
}

/** Unix seconds to the window in ns; 0 means "not given" (Tempo's zero value). */
function windowOf (start: number, end: number): SearchWindow {
  const window: { startUnixNano?: bigint, endUnixNano?: bigint } = {}
  if (start !== 0) window.startUnixNano = BigInt(start) * 1_000_000_000n
  if (end !== 0) window.endUnixNano = BigInt(end) * 1_000_000_000n
  return window
}

/** Parses a present value, prefixing Go's error with `invalid <name>: `; absent → 0. */
function optional (text: string | undefined, parse: (s: string) => number, name: string): number {
  if (text === undefined) return 0
  try {
    return parse(text)
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err
    throw new InvalidArgumentError(`invalid ${name}: ${(err as Error).message}`)
  }
}

/** A uint32 that must not be 0 (`limit`, `spss`). */
function positive (name: string): (s: string) => number {
  return (s) => {
    const n = parseUint(s, 32) as number
    if (n === 0) throw new InvalidArgumentError(`invalid ${name}: must be a positive number`)
    return n
  }
}

/** Go's `uint32(dur.Milliseconds())`: truncated toward zero, wrapped to 32 bits. */
function durationMs (s: string): number {
  return Number(BigInt.asUintN(32, parseGoDuration(s) / 1_000_000n))
}

/** Go's `uint32(strconv.ParseInt(s, 10, 32))`. */
function uint32OfInt32 (s: string): number {
  return parseInt32(s) >>> 0
}

function nonEmpty (v: string | null): string | undefined {
  return v === null || v === '' ? undefined : v
}
