/**
 * Search, tag names and tag values for the whole cluster: every partition answered by one owner
 * (partition-fanout.ts, the same owner choice, hedging and failover as trace by id), each node
 * answering once from its own data for all the partitions it was asked for, and the answers
 * merged as Tempo's querier merges its live-stores' (query/search/merge.ts): search deduplicated
 * by trace id, newest first, cut to the limit, metrics summed; tag names and values united.
 *
 * A node's answer covers every partition it holds, so answers from nodes holding the same
 * partition (another zone's owner) overlap; the merge's deduplication absorbs that, and each
 * node's newest `limit` traces include all of its traces among the merged newest `limit`.
 */
import type { Clock } from '../../common/clock.ts'
import { mergeSearchResults, mergeTagNames, mergeTagValues } from '../search/merge.ts'
import type { TagNames } from '../search/merge.ts'
import type { NodeSearch, SearchAnswer, TagNamesAnswer, TagValuesAnswer } from '../search/node-answer.ts'
import type { CompiledSearch, SearchRequest, SearchResult, TagNamesRequest, TagValue, TagValuesRequest } from '../search/types.ts'
import { PartitionFanout, incompleteNotes } from './partition-fanout.ts'
import type { FanoutResult } from './partition-fanout.ts'
import { defaultProtocolLimits } from './protocol.ts'
import type { ProtocolLimits } from './protocol.ts'
import {
  decodeSearchResponse, decodeTagNamesResponse, decodeTagValuesResponse, encodeSearchRequest, encodeTagNamesRequest, encodeTagValuesRequest,
} from './search-protocol.ts'
import type { SearchOpRequest, TagNamesOpRequest, TagValuesOpRequest } from './search-protocol.ts'
import type { AskFn, ClusterView, MissingPartition } from './types.ts'

/** Why a cluster answer may be incomplete: partitions without an answer, owners catching up. */
export interface ClusterPartial {
  missing: MissingPartition[]
  incomplete: string[]
}

export interface ClusterSearchResult extends ClusterPartial { result: SearchResult }
export interface ClusterTagNamesResult extends ClusterPartial { scopes: TagNames }
export interface ClusterTagValuesResult extends ClusterPartial { values: TagValue[] }

/** What the query app calls in cluster mode (ClusterSearcher implements it). */
export interface ClusterSearch {
  search (tenants: readonly string[], compiled: CompiledSearch, request: SearchRequest, options?: { signal?: AbortSignal }): Promise<ClusterSearchResult>
  tagNames (tenants: readonly string[], request: TagNamesRequest, options?: { signal?: AbortSignal }): Promise<ClusterTagNamesResult>
  tagValues (tenants: readonly string[], request: TagValuesRequest, options?: { signal?: AbortSignal }): Promise<ClusterTagValuesResult>
}

export interface ClusterSearcherOptions {
  view: ClusterView
  ask: AskFn
  /** This node's own answers (query/search/node-answer.ts `createNodeSearch`). */
  local: NodeSearch
  clock: Clock
  /** `query.hedge_after`. */
  hedgeAfterMs: number
  /** The deadline of each query (`query.search_timeout`); partitions without an answer by then are missing. */
  timeoutMs: number
  limits?: ProtocolLimits
}

export class ClusterSearcher implements ClusterSearch {
  readonly #opts: ClusterSearcherOptions
  readonly #limits: ProtocolLimits
  readonly #fanout: PartitionFanout

  constructor (opts: ClusterSearcherOptions) {
    if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`)
    this.#fanout = new PartitionFanout(opts)
    this.#opts = opts
    this.#limits = opts.limits ?? defaultProtocolLimits
  }

  async search (tenants: readonly string[], compiled: CompiledSearch, request: SearchRequest, options: { signal?: AbortSignal } = {}): Promise<ClusterSearchResult> {
    options.signal?.throwIfAborted()
    const wire: SearchOpRequest = { ...request, tenants, query: compiled.query }
    const out = await this.#fanout.run<SearchAnswer>({
      name: 'search',
      timeoutMs: this.#opts.timeoutMs,
      request: encodeSearchRequest(wire, this.#limits),
      local: (signal) => this.#opts.local.search(tenants, compiled, request, signal),
      decode: (bytes) => decodeSearchResponse(bytes, this.#limits),
    }, options.signal)
    return { result: mergeSearchResults(out.answers.map((a) => a.answer.result), request.limit), ...partialOf(out) }
  }

  async tagNames (tenants: readonly string[], request: TagNamesRequest, options: { signal?: AbortSignal } = {}): Promise<ClusterTagNamesResult> {
    options.signal?.throwIfAborted()
    const wire: TagNamesOpRequest = { tenants, window: request.window }
    if (request.scope !== undefined) wire.scope = request.scope
    if (request.filter !== undefined) wire.query = request.filter.query
    const out = await this.#fanout.run<TagNamesAnswer>({
      name: 'tag names',
      timeoutMs: this.#opts.timeoutMs,
      request: encodeTagNamesRequest(wire, this.#limits),
      local: (signal) => this.#opts.local.tagNames(tenants, request, signal),
      decode: (bytes) => decodeTagNamesResponse(bytes, this.#limits),
    }, options.signal)
    return { scopes: mergeTagNames(out.answers.map((a) => a.answer.scopes)), ...partialOf(out) }
  }

  async tagValues (tenants: readonly string[], request: TagValuesRequest, options: { signal?: AbortSignal } = {}): Promise<ClusterTagValuesResult> {
    options.signal?.throwIfAborted()
    const wire: TagValuesOpRequest = { tenants, tag: request.tag, window: request.window, limit: request.limit }
    if (request.filter !== undefined) wire.query = request.filter.query
    const out = await this.#fanout.run<TagValuesAnswer>({
      name: 'tag values',
      timeoutMs: this.#opts.timeoutMs,
      request: encodeTagValuesRequest(wire, this.#limits),
      local: (signal) => this.#opts.local.tagValues(tenants, request, signal),
      decode: (bytes) => decodeTagValuesResponse(bytes, this.#limits),
    }, options.signal)
    return { values: mergeTagValues(out.answers.map((a) => a.answer.values), request.limit), ...partialOf(out) }
  }
}

function partialOf<A extends { incomplete?: string }> (out: FanoutResult<A>): ClusterPartial {
  return { missing: out.missing, incomplete: incompleteNotes(out.answers) }
}
