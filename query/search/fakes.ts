/**
 * Fakes for the search API and cluster tests (not used by production code): a TraceQL
 * "compiler" that accepts any text but one containing `nope`, a tag-name parser, a LocalSearch
 * over fixed per-tenant answers that records its calls, and builders for matches.
 */
import { InvalidArgumentError } from '../../common/errors.ts'
import { emptyMetrics, mergeSearchResults } from './merge.ts'
import type {
  CompiledSearch, LocalSearch, SearchMetrics, SearchRequest, TagNamesRequest, TagRef, TagScope, TagValue, TagValuesRequest, TraceMatch,
} from './types.ts'

/** Compiles anything except text containing `nope` (an InvalidArgumentError, as the engine's parse errors). */
export function fakeCompile (text: string): CompiledSearch {
  if (text.includes('nope')) throw new InvalidArgumentError(`parse error at line 1, col 3: syntax error: ${text}`)
  return { query: text, prefilter: undefined, match: () => null }
}

/** `resource.x` → resource, `span.x` → span, `.x` → any, `name`/`status`/… → intrinsic; anything with a space is invalid. */
export function fakeParseTagRef (name: string): TagRef {
  if (name.includes(' ')) throw new Error(`unexpected IDENTIFIER in ${name}`)
  for (const scope of ['resource', 'span', 'event', 'link', 'instrumentation'] as const) {
    if (name.startsWith(`${scope}.`)) return { scope, name: name.slice(scope.length + 1) }
  }
  if (name.startsWith('.')) return { scope: 'any', name: name.slice(1) }
  return { scope: 'intrinsic', name }
}

export function match (idHex: string, startNs: bigint, extra: Partial<TraceMatch> = {}): TraceMatch {
  return {
    traceId: Buffer.from(idHex.padStart(32, '0'), 'hex'),
    rootServiceName: 'svc',
    rootTraceName: 'GET /',
    startTimeUnixNano: startNs,
    durationMs: 1,
    spanSets: [],
    serviceStats: {},
    ...extra,
  }
}

export function metrics (extra: Partial<SearchMetrics> = {}): SearchMetrics {
  return { ...emptyMetrics(), ...extra }
}

export interface LocalCall { op: 'search' | 'tagNames' | 'tagValues', tenant: string, request: SearchRequest | TagNamesRequest | TagValuesRequest, signal: AbortSignal }

/** A LocalSearch answering from fixed data per tenant. */
export class FakeLocalSearch implements LocalSearch {
  readonly calls: LocalCall[] = []
  traces = new Map<string, TraceMatch[]>()
  names = new Map<string, Map<TagScope, Set<string>>>()
  values = new Map<string, TagValue[]>()
  /** When set, every call waits on it (and rejects when its signal aborts). */
  delay: Promise<void> | undefined
  /** When set, every call rejects with it. */
  failure: Error | undefined

  async search (tenant: string, _search: CompiledSearch, request: SearchRequest, signal: AbortSignal) {
    await this.#enter({ op: 'search', tenant, request, signal })
    const traces = this.traces.get(tenant) ?? []
    return mergeSearchResults([{ traces, metrics: metrics({ inspectedTraces: traces.length, inspectedBytes: BigInt(100 * traces.length) }) }], request.limit)
  }

  async tagNames (tenant: string, request: TagNamesRequest, signal: AbortSignal) {
    await this.#enter({ op: 'tagNames', tenant, request, signal })
    const all = this.names.get(tenant) ?? new Map<TagScope, Set<string>>()
    return request.scope === undefined ? all : new Map([...all].filter(([s]) => s === request.scope))
  }

  async tagValues (tenant: string, request: TagValuesRequest, signal: AbortSignal) {
    await this.#enter({ op: 'tagValues', tenant, request, signal })
    return (this.values.get(tenant) ?? []).slice(0, request.limit)
  }

  async #enter (call: LocalCall): Promise<void> {
    this.calls.push(call)
    if (this.failure !== undefined) throw this.failure
    if (this.delay === undefined) return
    const { signal } = call
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) { reject(signal.reason); return }
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      this.delay?.then(resolve, reject)
    })
  }
}
