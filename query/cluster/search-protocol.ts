/**
 * The search operations of the internal query protocol, version 1 (protocol.ts has the envelope
 * rules and trace-by-id): search (op 2), tag names (op 3) and tag values (op 4).
 *
 *     request  = version:u8 (= 1)  op:u8 (2 | 3 | 4)  body: UTF-8 JSON (every remaining byte)
 *     response = version:u8 (= 1)  op:u8 (= the request's op)  body: UTF-8 JSON
 *
 * Bodies (keys in this order, optional ones left out; 64-bit numbers as decimal strings, ids as
 * lower-case hex, attributes as base64 of an OTLP `KeyValueList` protobuf):
 *
 *     search request     {"tenants":[…],"query":"{…}","start":"ns","end":"ns","minDuration":"ns",
 *                         "maxDuration":"ns","limit":20,"spss":3}
 *     tag names request  {"tenants":[…],"scope":"span","start":"ns","end":"ns","query":"{…}"}
 *     tag values request {"tenants":[…],"tag":{"scope":"resource","name":"service.name"},
 *                         "start":"ns","end":"ns","query":"{…}","limit":1000}
 *     search response    {"incomplete":"…","traces":[{"traceId":"…","rootServiceName":"…",
 *                         "rootTraceName":"…","start":"ns","durationMs":12,"spanSets":[{"spans":[
 *                         {"spanId":"…","name":"…","start":"ns","duration":"ns","attributes":"b64"}],
 *                         "matched":3,"attributes":"b64"}],"serviceStats":{"svc":[5,1]}}],
 *                         "metrics":{"inspectedTraces":1,"inspectedBytes":"…","inspectedSpans":"…",
 *                         "totalBlocks":0,"completedJobs":1,"totalJobs":1,"totalBlockBytes":"0"}}
 *     tag names response {"incomplete":"…","scopes":{"span":["a","b"],…}}
 *     tag values response {"incomplete":"…","values":[{"type":"string","value":"a"},…]}
 *
 * Why JSON: these answers are small lists of ids, names and counters (the span attributes, the
 * only nested data, keep OTLP's own protobuf); JSON keeps them readable in a capture and needs no
 * hand-written schema walk beyond the strict checks below. Decoding is strict: an unknown or
 * missing key, a wrong type, an out-of-range number, bad hex or base64, an invalid tenant, a
 * body above the limit is a QueryProtocolError naming the field. The query text travels as
 * given; the receiving node compiles it again.
 */
import { InvalidArgumentError } from '../../common/errors.ts'
import { decodeKeyValueList } from '../../common/otlp/decode-proto.ts'
import { encodeKeyValueList } from '../../common/otlp/encode-proto.ts'
import type { KeyValue } from '../../common/otlp/model.ts'
import type { SearchWindow } from '../../common/search/prefilter.ts'
import { MAX_SEARCH_LIMIT, MAX_SPANS_PER_SPAN_SET } from '../search/params.ts'
import type { SearchAnswer, TagNamesAnswer, TagValuesAnswer } from '../search/node-answer.ts'
import type { MatchedSpan, SearchMetrics, SearchRequest, SpanSet, TagRef, TagScope, TagValue, TraceMatch } from '../search/types.ts'
import { QueryProtocolError } from './errors.ts'
import { Op, PROTOCOL_VERSION, checkTenant, defaultProtocolLimits } from './protocol.ts'
import type { ProtocolLimits } from './protocol.ts'

/** A search as one node asks another: the query text (compiled again there), its bounds, the tenants. */
export interface SearchOpRequest extends SearchRequest {
  tenants: readonly string[]
}

export interface TagNamesOpRequest {
  tenants: readonly string[]
  scope?: TagScope
  window: SearchWindow
  /** The `q` filter's text. */
  query?: string
}

export interface TagValuesOpRequest {
  tenants: readonly string[]
  tag: TagRef
  window: SearchWindow
  query?: string
  limit: number
}

const MAX_TENANTS = 255
/** Longest query text carried (UTF-8 bytes). */
export const MAX_QUERY_BYTES = 16 * 1024
const MAX_INCOMPLETE_CHARS = 1024
const MAX_TAG_VALUES_LIMIT = 2 ** 31 - 1
const UINT32_MAX = 2 ** 32 - 1
const UINT64_MAX = 2n ** 64n - 1n
const SCOPES: readonly TagScope[] = ['resource', 'span', 'intrinsic', 'event', 'link', 'instrumentation', 'trace']
const TAG_REF_SCOPES: readonly TagRef['scope'][] = ['resource', 'span', 'any', 'intrinsic', 'event', 'link', 'instrumentation']
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// ---- requests --------------------------------------------------------------------------------

export function encodeSearchRequest (req: SearchOpRequest, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  const body: Record<string, unknown> = { tenants: tenantsOut(req.tenants), query: queryOut(req.query) }
  windowOut(body, req.window)
  if (req.minDurationNanos !== undefined) body.minDuration = u64Out(req.minDurationNanos, 'minDuration')
  if (req.maxDurationNanos !== undefined) body.maxDuration = u64Out(req.maxDurationNanos, 'maxDuration')
  body.limit = intOut(req.limit, 'limit', 1, MAX_SEARCH_LIMIT)
  body.spss = intOut(req.spss, 'spss', 1, MAX_SPANS_PER_SPAN_SET)
  return envelope(Op.Search, body, limits.maxRequestBytes, 'request')
}

export function decodeSearchRequest (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): SearchOpRequest {
  const v = new Json(open(bytes, Op.Search, 'search request', limits.maxRequestBytes), 'search request')
  v.keys(['tenants', 'query'], ['start', 'end', 'minDuration', 'maxDuration', 'limit', 'spss'])
  const req: SearchOpRequest = {
    tenants: tenantsIn(v.at('tenants')),
    query: queryIn(v.at('query')),
    window: windowIn(v),
    limit: v.at('limit').int(1, MAX_SEARCH_LIMIT),
    spss: v.at('spss').int(1, MAX_SPANS_PER_SPAN_SET),
  }
  if (v.has('minDuration')) req.minDurationNanos = v.at('minDuration').u64()
  if (v.has('maxDuration')) req.maxDurationNanos = v.at('maxDuration').u64()
  return req
}

export function encodeTagNamesRequest (req: TagNamesOpRequest, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  const body: Record<string, unknown> = { tenants: tenantsOut(req.tenants) }
  if (req.scope !== undefined) body.scope = req.scope
  windowOut(body, req.window)
  if (req.query !== undefined) body.query = queryOut(req.query)
  return envelope(Op.TagNames, body, limits.maxRequestBytes, 'request')
}

export function decodeTagNamesRequest (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): TagNamesOpRequest {
  const v = new Json(open(bytes, Op.TagNames, 'tag names request', limits.maxRequestBytes), 'tag names request')
  v.keys(['tenants'], ['scope', 'start', 'end', 'query'])
  const req: TagNamesOpRequest = { tenants: tenantsIn(v.at('tenants')), window: windowIn(v) }
  if (v.has('scope')) req.scope = v.at('scope').oneOf(SCOPES)
  if (v.has('query')) req.query = queryIn(v.at('query'))
  return req
}

export function encodeTagValuesRequest (req: TagValuesOpRequest, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  const body: Record<string, unknown> = { tenants: tenantsOut(req.tenants), tag: { scope: req.tag.scope, name: req.tag.name } }
  windowOut(body, req.window)
  if (req.query !== undefined) body.query = queryOut(req.query)
  body.limit = intOut(req.limit, 'limit', 1, MAX_TAG_VALUES_LIMIT)
  return envelope(Op.TagValues, body, limits.maxRequestBytes, 'request')
}

export function decodeTagValuesRequest (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): TagValuesOpRequest {
  const v = new Json(open(bytes, Op.TagValues, 'tag values request', limits.maxRequestBytes), 'tag values request')
  v.keys(['tenants', 'tag', 'limit'], ['start', 'end', 'query'])
  const tag = v.at('tag')
  tag.keys(['scope', 'name'], [])
  const req: TagValuesOpRequest = {
    tenants: tenantsIn(v.at('tenants')),
    tag: { scope: tag.at('scope').oneOf(TAG_REF_SCOPES), name: tag.at('name').str() },
    window: windowIn(v),
    limit: v.at('limit').int(1, MAX_TAG_VALUES_LIMIT),
  }
  if (v.has('query')) req.query = queryIn(v.at('query'))
  return req
}

// ---- responses -------------------------------------------------------------------------------

export function encodeSearchResponse (answer: SearchAnswer, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  const body: Record<string, unknown> = {}
  incompleteOut(body, answer.incomplete)
  body.traces = answer.result.traces.map(traceOut)
  body.metrics = metricsOut(answer.result.metrics)
  return envelope(Op.Search, body, limits.maxResponseBytes, 'response')
}

export function decodeSearchResponse (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): SearchAnswer {
  const v = new Json(open(bytes, Op.Search, 'search response', limits.maxResponseBytes), 'search response')
  v.keys(['traces', 'metrics'], ['incomplete'])
  const answer: SearchAnswer = { result: { traces: v.at('traces').list(traceIn), metrics: metricsIn(v.at('metrics')) } }
  if (v.has('incomplete')) answer.incomplete = v.at('incomplete').str()
  return answer
}

export function encodeTagNamesResponse (answer: TagNamesAnswer, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  const body: Record<string, unknown> = {}
  incompleteOut(body, answer.incomplete)
  const scopes: Record<string, string[]> = {}
  for (const scope of SCOPES) {
    const names = answer.scopes.get(scope)
    if (names !== undefined && names.size > 0) scopes[scope] = [...names]
  }
  body.scopes = scopes
  return envelope(Op.TagNames, body, limits.maxResponseBytes, 'response')
}

export function decodeTagNamesResponse (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): TagNamesAnswer {
  const v = new Json(open(bytes, Op.TagNames, 'tag names response', limits.maxResponseBytes), 'tag names response')
  v.keys(['scopes'], ['incomplete'])
  const scopesJson = v.at('scopes')
  scopesJson.keys([], SCOPES)
  const scopes = new Map<TagScope, Set<string>>()
  for (const scope of SCOPES) {
    if (scopesJson.has(scope)) scopes.set(scope, new Set(scopesJson.at(scope).list((n) => n.str())))
  }
  const answer: TagNamesAnswer = { scopes }
  if (v.has('incomplete')) answer.incomplete = v.at('incomplete').str()
  return answer
}

export function encodeTagValuesResponse (answer: TagValuesAnswer, limits: ProtocolLimits = defaultProtocolLimits): Buffer {
  const body: Record<string, unknown> = {}
  incompleteOut(body, answer.incomplete)
  body.values = answer.values.map((t) => ({ type: t.type, value: t.value }))
  return envelope(Op.TagValues, body, limits.maxResponseBytes, 'response')
}

export function decodeTagValuesResponse (bytes: Uint8Array, limits: ProtocolLimits = defaultProtocolLimits): TagValuesAnswer {
  const v = new Json(open(bytes, Op.TagValues, 'tag values response', limits.maxResponseBytes), 'tag values response')
  v.keys(['values'], ['incomplete'])
  const values = v.at('values').list((t): TagValue => {
    t.keys(['type', 'value'], [])
    return { type: t.at('type').str(), value: t.at('value').str() }
  })
  const answer: TagValuesAnswer = { values }
  if (v.has('incomplete')) answer.incomplete = v.at('incomplete').str()
  return answer
}

// ---- pieces ----------------------------------------------------------------------------------

function traceOut (t: TraceMatch): Record<string, unknown> {
  const stats: Record<string, [number, number]> = {}
  for (const [name, s] of Object.entries(t.serviceStats)) setOwn(stats, name, [s.spanCount, s.errorCount])
  return {
    traceId: hexOut(t.traceId, 16, 'traceId'),
    rootServiceName: t.rootServiceName,
    rootTraceName: t.rootTraceName,
    start: u64Out(t.startTimeUnixNano, 'start'),
    durationMs: intOut(t.durationMs, 'durationMs', 0, UINT32_MAX),
    spanSets: t.spanSets.map((s) => {
      const set: Record<string, unknown> = { spans: s.spans.map(spanOut), matched: intOut(s.matched, 'matched', 0, UINT32_MAX) }
      if (s.attributes.length > 0) set.attributes = attributesOut(s.attributes)
      return set
    }),
    serviceStats: stats,
  }
}

function spanOut (s: MatchedSpan): Record<string, unknown> {
  const span: Record<string, unknown> = {
    spanId: hexOut(s.spanId, 16, 'spanId'),
    name: s.name,
    start: u64Out(s.startTimeUnixNano, 'start'),
    duration: u64Out(s.durationNanos, 'duration'),
  }
  if (s.attributes.length > 0) span.attributes = attributesOut(s.attributes)
  return span
}

function traceIn (v: Json): TraceMatch {
  v.keys(['traceId', 'rootServiceName', 'rootTraceName', 'start', 'durationMs', 'spanSets', 'serviceStats'], [])
  const stats: TraceMatch['serviceStats'] = {}
  const statsJson = v.at('serviceStats')
  for (const name of statsJson.objectKeys()) {
    const [spanCount, errorCount] = statsJson.at(name).tuple2((n) => n.int(0, UINT32_MAX))
    setOwn(stats, name, { spanCount, errorCount })
  }
  return {
    traceId: v.at('traceId').hex(1, 16),
    rootServiceName: v.at('rootServiceName').str(),
    rootTraceName: v.at('rootTraceName').str(),
    startTimeUnixNano: v.at('start').u64(),
    durationMs: v.at('durationMs').int(0, UINT32_MAX),
    spanSets: v.at('spanSets').list((s): SpanSet => {
      s.keys(['spans', 'matched'], ['attributes'])
      return {
        spans: s.at('spans').list(spanIn),
        matched: s.at('matched').int(0, UINT32_MAX),
        attributes: s.has('attributes') ? s.at('attributes').attributes() : [],
      }
    }),
    serviceStats: stats,
  }
}

function spanIn (v: Json): MatchedSpan {
  v.keys(['spanId', 'name', 'start', 'duration'], ['attributes'])
  return {
    spanId: v.at('spanId').hex(0, 16),
    name: v.at('name').str(),
    startTimeUnixNano: v.at('start').u64(),
    durationNanos: v.at('duration').u64(),
    attributes: v.has('attributes') ? v.at('attributes').attributes() : [],
  }
}

const METRIC_INTS = ['inspectedTraces', 'totalBlocks', 'completedJobs', 'totalJobs'] as const
const METRIC_U64S = ['inspectedBytes', 'inspectedSpans', 'totalBlockBytes'] as const

function metricsOut (m: SearchMetrics): Record<string, unknown> {
  return {
    inspectedTraces: intOut(m.inspectedTraces, 'inspectedTraces', 0, Number.MAX_SAFE_INTEGER),
    inspectedBytes: u64Out(m.inspectedBytes, 'inspectedBytes'),
    inspectedSpans: u64Out(m.inspectedSpans, 'inspectedSpans'),
    totalBlocks: intOut(m.totalBlocks, 'totalBlocks', 0, Number.MAX_SAFE_INTEGER),
    completedJobs: intOut(m.completedJobs, 'completedJobs', 0, Number.MAX_SAFE_INTEGER),
    totalJobs: intOut(m.totalJobs, 'totalJobs', 0, Number.MAX_SAFE_INTEGER),
    totalBlockBytes: u64Out(m.totalBlockBytes, 'totalBlockBytes'),
  }
}

function metricsIn (v: Json): SearchMetrics {
  v.keys([...METRIC_INTS, ...METRIC_U64S], [])
  return {
    inspectedTraces: v.at('inspectedTraces').int(0, Number.MAX_SAFE_INTEGER),
    inspectedBytes: v.at('inspectedBytes').u64(),
    inspectedSpans: v.at('inspectedSpans').u64(),
    totalBlocks: v.at('totalBlocks').int(0, Number.MAX_SAFE_INTEGER),
    completedJobs: v.at('completedJobs').int(0, Number.MAX_SAFE_INTEGER),
    totalJobs: v.at('totalJobs').int(0, Number.MAX_SAFE_INTEGER),
    totalBlockBytes: v.at('totalBlockBytes').u64(),
  }
}

/** `o[key] = value` as an own property, even for `__proto__` (a service may be called anything). */
function setOwn<T> (o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })
}

function tenantsOut (tenants: readonly string[]): string[] {
  if (tenants.length === 0) throw new QueryProtocolError('a request needs at least one tenant')
  // The only limit a user can reach (X-Scope-OrgID a|b|…), hence a 400.
  if (tenants.length > MAX_TENANTS) throw new InvalidArgumentError(`too many tenants in one query: ${tenants.length}, at most ${MAX_TENANTS}`)
  return tenants.map((t, i) => checkTenant(t, `tenants[${i}]`))
}

function tenantsIn (v: Json): string[] {
  const tenants = v.list((t) => t.str())
  if (tenants.length === 0 || tenants.length > MAX_TENANTS) throw v.error(`must hold 1..${MAX_TENANTS} tenants, has ${tenants.length}`)
  return tenants.map((t, i) => checkTenant(t, `${v.path}[${i}]`))
}

function queryOut (query: string): string {
  const bytes = Buffer.byteLength(query)
  if (bytes > MAX_QUERY_BYTES) throw new InvalidArgumentError(`query of ${bytes} bytes exceeds the limit of ${MAX_QUERY_BYTES}`)
  return query
}

function queryIn (v: Json): string {
  const query = v.str()
  if (Buffer.byteLength(query) > MAX_QUERY_BYTES) throw v.error(`longer than ${MAX_QUERY_BYTES} bytes`)
  return query
}

function windowOut (body: Record<string, unknown>, w: SearchWindow): void {
  if (w.startUnixNano !== undefined) body.start = u64Out(w.startUnixNano, 'start')
  if (w.endUnixNano !== undefined) body.end = u64Out(w.endUnixNano, 'end')
}

function windowIn (v: Json): SearchWindow {
  const w: { startUnixNano?: bigint, endUnixNano?: bigint } = {}
  if (v.has('start')) w.startUnixNano = v.at('start').u64()
  if (v.has('end')) w.endUnixNano = v.at('end').u64()
  return w
}

function incompleteOut (body: Record<string, unknown>, incomplete: string | undefined): void {
  if (incomplete === undefined) return
  const text = incomplete === '' ? 'incomplete' : incomplete
  body.incomplete = text.length > MAX_INCOMPLETE_CHARS ? text.slice(0, MAX_INCOMPLETE_CHARS - 1) + '…' : text
}

function u64Out (n: bigint, field: string): string {
  if (n < 0n || n > UINT64_MAX) throw new QueryProtocolError(`${field} ${n} is outside 0..2^64-1`)
  return n.toString()
}

function intOut (n: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(n) || n < min || n > max) throw new QueryProtocolError(`${field} ${n} is outside ${min}..${max}`)
  return n
}

function hexOut (b: Buffer, maxBytes: number, field: string): string {
  if (b.length > maxBytes) throw new QueryProtocolError(`${field} of ${b.length} bytes exceeds ${maxBytes}`)
  return b.toString('hex')
}

function attributesOut (attrs: KeyValue[]): string {
  return encodeKeyValueList(attrs).toString('base64')
}

function envelope (op: number, body: unknown, max: number, what: 'request' | 'response'): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8')
  const out = Buffer.concat([Buffer.from([PROTOCOL_VERSION, op]), json])
  if (out.length > max) throw new QueryProtocolError(`${what} of ${out.length} bytes exceeds the limit of ${max}`)
  return out
}

/** Checks the size, version and op, then parses the JSON body. */
function open (bytes: Uint8Array, op: number, what: string, max: number): unknown {
  if (bytes.byteLength > max) throw new QueryProtocolError(`${what} of ${bytes.byteLength} bytes exceeds the limit of ${max}`)
  if (bytes.byteLength === 0) throw new QueryProtocolError(`${what}: empty message`)
  const version = bytes[0] as number
  if (version !== PROTOCOL_VERSION) throw new QueryProtocolError(`${what}: unsupported internal query protocol version ${version} (this node speaks ${PROTOCOL_VERSION})`)
  if (bytes.byteLength < 2) throw new QueryProtocolError(`${what}: op truncated`)
  if (bytes[1] !== op) throw new QueryProtocolError(`${what}: unknown internal query operation ${bytes[1] as number}`)
  let text: string
  try {
    text = utf8.decode(bytes.subarray(2))
  } catch {
    throw new QueryProtocolError(`${what}: body is not valid UTF-8`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new QueryProtocolError(`${what}: body is not JSON: ${(err as Error).message}`)
  }
}

/** A parsed JSON value and where it sits; every accessor throws a QueryProtocolError naming the path. */
class Json {
  constructor (private readonly value: unknown, readonly path: string) {}

  error (message: string): QueryProtocolError {
    return new QueryProtocolError(`${this.path}: ${message}`)
  }

  #object (): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) throw this.error('expected an object')
    return this.value as Record<string, unknown>
  }

  /** Exactly these keys: every `required` one and only `optional` ones besides. */
  keys (required: readonly string[], optional: readonly string[]): void {
    const o = this.#object()
    for (const k of required) if (!Object.hasOwn(o, k)) throw this.error(`missing ${k}`)
    for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) throw this.error(`unknown key ${JSON.stringify(k)}`)
  }

  has (key: string): boolean { return Object.hasOwn(this.#object(), key) }

  objectKeys (): string[] { return Object.keys(this.#object()) }

  at (key: string): Json { return new Json(this.#object()[key], `${this.path}.${key}`) }

  str (): string {
    if (typeof this.value !== 'string') throw this.error('expected a string')
    return this.value
  }

  oneOf<T extends string> (allowed: readonly T[]): T {
    const s = this.str()
    if (!(allowed as readonly string[]).includes(s)) throw this.error(`unknown value ${JSON.stringify(s)}`)
    return s as T
  }

  int (min: number, max: number): number {
    if (typeof this.value !== 'number' || !Number.isInteger(this.value) || this.value < min || this.value > max) throw this.error(`expected an integer in ${min}..${max}`)
    return this.value
  }

  u64 (): bigint {
    const s = this.str()
    if (!/^(0|[1-9][0-9]{0,19})$/.test(s) || BigInt(s) > UINT64_MAX) throw this.error('expected a uint64 as a decimal string')
    return BigInt(s)
  }

  hex (minBytes: number, maxBytes: number): Buffer {
    const s = this.str()
    if (!/^([0-9a-f]{2})*$/.test(s) || s.length / 2 < minBytes || s.length / 2 > maxBytes) throw this.error(`expected ${minBytes}..${maxBytes} bytes of lower-case hex`)
    return Buffer.from(s, 'hex')
  }

  attributes (): KeyValue[] {
    const s = this.str()
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw this.error('expected base64')
    try {
      return decodeKeyValueList(Buffer.from(s, 'base64'))
    } catch (err) {
      throw new QueryProtocolError(`${this.path}: bad attributes: ${(err as Error).message}`, { cause: err })
    }
  }

  list<T> (item: (v: Json) => T): T[] {
    if (!Array.isArray(this.value)) throw this.error('expected an array')
    return this.value.map((x, i) => item(new Json(x, `${this.path}[${i}]`)))
  }

  tuple2<T> (item: (v: Json) => T): [T, T] {
    if (!Array.isArray(this.value) || this.value.length !== 2) throw this.error('expected a pair')
    return [item(new Json(this.value[0], `${this.path}[0]`)), item(new Json(this.value[1], `${this.path}[1]`))]
  }
}
