/**
 * One node's answer to a search, tag-names or tag-values query for one or more tenants (`a|b`):
 * every tenant asked through LocalSearch and the answers merged (merge.ts). What the query API
 * calls on a single node, what the cluster fan-out calls for this node, and what the internal
 * query handler answers peers with.
 *
 * Readiness as Tempo's live-store checks it (tempo-behaviour.md §5.3): starting or stopping →
 * NotReadyError (a peer asking moves on to the next owner); catching up → the answer, with
 * `incomplete` saying why it may lack recent data.
 */
import { NotReadyError } from '../../common/errors.ts'
import type { Readiness } from '../../common/readiness.ts'
import { mergeSearchResults, mergeTagNames, mergeTagValues } from './merge.ts'
import type { TagNames } from './merge.ts'
import type { CompiledSearch, LocalSearch, SearchRequest, SearchResult, TagNamesRequest, TagValue, TagValuesRequest } from './types.ts'

export interface SearchAnswer { result: SearchResult, incomplete?: string }
export interface TagNamesAnswer { scopes: TagNames, incomplete?: string }
export interface TagValuesAnswer { values: TagValue[], incomplete?: string }

export interface NodeSearch {
  search (tenants: readonly string[], compiled: CompiledSearch, request: SearchRequest, signal: AbortSignal): Promise<SearchAnswer>
  tagNames (tenants: readonly string[], request: TagNamesRequest, signal: AbortSignal): Promise<TagNamesAnswer>
  tagValues (tenants: readonly string[], request: TagValuesRequest, signal: AbortSignal): Promise<TagValuesAnswer>
}

export interface NodeSearchOptions {
  localSearch: LocalSearch
  readiness: Readiness
}

export function createNodeSearch ({ localSearch, readiness }: NodeSearchOptions): NodeSearch {
  /** Throws when not serving; the `incomplete` reason while catching up. */
  const gate = (signal: AbortSignal): string | undefined => {
    signal.throwIfAborted()
    const state = readiness.state()
    const reason = readiness.reason()
    if (state === 'starting' || state === 'stopping') throw new NotReadyError(reason === '' ? `live-store is ${state}` : reason)
    if (state !== 'catching-up') return undefined
    return reason === '' ? 'live-store is catching up' : reason
  }
  const withReason = <T extends object>(answer: T, incomplete: string | undefined): T & { incomplete?: string } =>
    incomplete === undefined ? answer : { ...answer, incomplete }

  return {
    async search (tenants, compiled, request, signal) {
      const incomplete = gate(signal)
      const results = await Promise.all(tenants.map((t) => localSearch.search(t, compiled, request, signal)))
      return withReason({ result: mergeSearchResults(results, request.limit) }, incomplete)
    },
    async tagNames (tenants, request, signal) {
      const incomplete = gate(signal)
      const answers = await Promise.all(tenants.map((t) => localSearch.tagNames(t, request, signal)))
      return withReason({ scopes: mergeTagNames(answers) }, incomplete)
    },
    async tagValues (tenants, request, signal) {
      const incomplete = gate(signal)
      const answers = await Promise.all(tenants.map((t) => localSearch.tagValues(t, request, signal)))
      return withReason({ values: mergeTagValues(answers, request.limit) }, incomplete)
    },
  }
}
