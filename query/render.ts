import { encodeTracesJson } from '../common/otlp/encode-json.ts'
import { encodeTracesProto } from '../common/otlp/encode-proto.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { ProtoWriter, lenSize } from '../common/otlp/proto-writer.ts'

/**
 * Set on query answers that may be incomplete (the node, or an owner that answered, is catching
 * up; or partitions are missing in partial mode); the value says why.
 */
export const PARTIAL_HEADER = 'X-Livestore-Partial'
/** Set on partial answers (`?partial=true`): the partitions no owner answered for, e.g. `3,5`. */
export const MISSING_PARTITIONS_HEADER = 'X-Livestore-Missing-Partitions'

/**
 * The bodies of the trace-by-id endpoints, in Tempo's shapes:
 * - v1 JSON: jsonpb of `tempopb.Trace` with `resourceSpans` renamed `batches`;
 * - v1 protobuf: `tempopb.Trace` (the same bytes as TracesData / ExportTraceServiceRequest);
 * - v2 JSON: `{"trace":{"resourceSpans":[…]}}`, `{"trace":{}}` when absent, plus
 *   `"status":"PARTIAL","message":…` when the answer may be incomplete;
 * - v2 protobuf: `tempopb.TraceByIDResponse` with field 1 (`trace`) set, an empty message
 *   when absent (what Grafana's Tempo datasource decodes), plus `status` PARTIAL (3) and
 *   `message` (4) when the answer may be incomplete.
 */
export function traceV1Json (trace: TracesData): string {
  return encodeTracesJson(trace, { dialect: 'tempo', topLevelKey: 'batches' })
}

export function traceV1Proto (trace: TracesData): Buffer {
  return encodeTracesProto(trace)
}

/**
 * `partialReason`: the answer may be incomplete (Tempo's `"status":"PARTIAL"` with a message);
 * `missingPartitions`: partitions no owner answered for (our partial mode, difference (d)),
 * listed only when there are some.
 */
export function traceByIdV2Json (trace: TracesData | null, partialReason?: string, missingPartitions: readonly number[] = []): string {
  const status = partialReason === undefined ? '' : `,"status":"PARTIAL","message":${JSON.stringify(partialReason)}`
  const missing = missingPartitions.length === 0 ? '' : `,"missingPartitions":${JSON.stringify(missingPartitions)}`
  return `{"trace":${trace === null ? '{}' : encodeTracesJson(trace, { dialect: 'tempo' })}${status}${missing}}`
}

/** TraceByIDResponse fields: 1 trace (message), 3 status (enum PartialStatus), 4 message (string). */
const TRACE_FIELD_TAG = (1 << 3) | 2
const STATUS_FIELD_TAG = (3 << 3) | 0
const MESSAGE_FIELD_TAG = (4 << 3) | 2
/** tempopb.PartialStatus: COMPLETE = 0 (omitted, proto3 default), PARTIAL = 1. */
const PARTIAL_STATUS = 1

/** `partialReason` sets `status: PARTIAL` and `message`, as the v2 JSON does. */
export function traceByIdV2Proto (trace: TracesData | null, partialReason?: string): Buffer {
  const inner = trace === null ? Buffer.alloc(0) : encodeTracesProto(trace)
  const message = partialReason === undefined ? undefined : Buffer.from(partialReason, 'utf8')
  const size = 1 + lenSize(inner.length) + (message === undefined ? 0 : 2 + 1 + lenSize(message.length))
  const w = new ProtoWriter(size)
  w.varint(TRACE_FIELD_TAG)
  w.bytes(inner)
  if (message !== undefined) {
    w.varint(STATUS_FIELD_TAG)
    w.varint(PARTIAL_STATUS)
    w.varint(MESSAGE_FIELD_TAG)
    w.bytes(message)
  }
  return w.finish()
}

/**
 * A text that is safe as an HTTP header value: printable ASCII only (a peer's error text may
 * hold anything), at most `max` characters.
 */
export function headerValue (text: string, max = 1024): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > max ? clean.slice(0, max - 3) + '...' : clean
}
