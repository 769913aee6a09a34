/**
 * Queries across the cluster: the fan-out over the partition ring (partition-fanout.ts, used by
 * trace by id in fanout.ts and by search, tag names and tag values in search-fanout.ts), the
 * internal query protocol between nodes (protocol.ts, search-protocol.ts) and its server side
 * (handler.ts). Transport-agnostic: node/ supplies the ring as a `ClusterView` and the libp2p
 * query channel as `ask`/`serve`.
 */
export { ClusterTraceFinder, orderCandidates } from './fanout.ts'
export type { ClusterTraceFinderOptions } from './fanout.ts'
export { PartitionFanout, incompleteNotes } from './partition-fanout.ts'
export type { FanoutCall, FanoutResult, NodeAnswer, PartitionFanoutOptions } from './partition-fanout.ts'
export { ClusterSearcher } from './search-fanout.ts'
export type { ClusterPartial, ClusterSearch, ClusterSearcherOptions, ClusterSearchResult, ClusterTagNamesResult, ClusterTagValuesResult } from './search-fanout.ts'
export { createInternalQueryHandler, createLocalTraceLookup } from './handler.ts'
export type { InternalQueryHandlerOptions, LocalLookupOptions } from './handler.ts'
export {
  Op, PROTOCOL_VERSION, decodeTraceByIdRequest, decodeTraceByIdResponse, defaultProtocolLimits,
  encodeTraceByIdRequest, encodeTraceByIdResponse, peekOp,
} from './protocol.ts'
export type { OpCode, ProtocolLimits, TraceByIdRequest } from './protocol.ts'
export {
  MAX_QUERY_BYTES, decodeSearchRequest, decodeSearchResponse, decodeTagNamesRequest, decodeTagNamesResponse, decodeTagValuesRequest,
  decodeTagValuesResponse, encodeSearchRequest, encodeSearchResponse, encodeTagNamesRequest, encodeTagNamesResponse,
  encodeTagValuesRequest, encodeTagValuesResponse,
} from './search-protocol.ts'
export type { SearchOpRequest, TagNamesOpRequest, TagValuesOpRequest } from './search-protocol.ts'
export { PartitionUnavailableError, QueryProtocolError, describeMissing } from './errors.ts'
export type * from './types.ts'
