/**
 * Queries across the cluster: the fan-out over the partition ring (fanout.ts), the internal
 * query protocol between nodes (protocol.ts) and its server side (handler.ts). Transport-agnostic:
 * node/ supplies the ring as a `ClusterView` and the libp2p query channel as `ask`/`serve`.
 */
export { ClusterTraceFinder, orderCandidates } from './fanout.ts'
export type { ClusterTraceFinderOptions } from './fanout.ts'
export { createInternalQueryHandler, createLocalTraceLookup } from './handler.ts'
export type { InternalQueryHandlerOptions, LocalLookupOptions } from './handler.ts'
export {
  Op, PROTOCOL_VERSION, decodeTraceByIdRequest, decodeTraceByIdResponse, defaultProtocolLimits,
  encodeTraceByIdRequest, encodeTraceByIdResponse,
} from './protocol.ts'
export type { ProtocolLimits, TraceByIdRequest } from './protocol.ts'
export { PartitionUnavailableError, QueryProtocolError, describeMissing } from './errors.ts'
export type * from './types.ts'
