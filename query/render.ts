import { encodeTracesJson } from '../common/otlp/encode-json.ts'
import { encodeTracesProto } from '../common/otlp/encode-proto.ts'
import type { TracesData } from '../common/otlp/model.ts'
import { ProtoWriter, lenSize } from '../common/otlp/proto-writer.ts'

/**
 * The bodies of the trace-by-id endpoints, in Tempo's shapes:
 * - v1 JSON: jsonpb of `tempopb.Trace` with `resourceSpans` renamed `batches`;
 * - v1 protobuf: `tempopb.Trace` (the same bytes as TracesData / ExportTraceServiceRequest);
 * - v2 JSON: `{"trace":{"resourceSpans":[…]}}`, `{"trace":{}}` when absent, plus
 *   `"status":"PARTIAL","message":…` when the answer may be incomplete;
 * - v2 protobuf: `tempopb.TraceByIDResponse` with only field 1 (`trace`) set, an empty message
 *   when absent (what Grafana's Tempo datasource decodes).
 */
export function traceV1Json (trace: TracesData): string {
  return encodeTracesJson(trace, { dialect: 'tempo', topLevelKey: 'batches' })
}

export function traceV1Proto (trace: TracesData): Buffer {
  return encodeTracesProto(trace)
}

/** `partialReason`: the answer may be incomplete (Tempo's `"status":"PARTIAL"` with a message). */
export function traceByIdV2Json (trace: TracesData | null, partialReason?: string): string {
  const status = partialReason === undefined ? '' : `,"status":"PARTIAL","message":${JSON.stringify(partialReason)}`
  return `{"trace":${trace === null ? '{}' : encodeTracesJson(trace, { dialect: 'tempo' })}${status}}`
}

/** TraceByIDResponse field 1 (trace), wire type 2 (length-delimited). */
const TRACE_FIELD_TAG = (1 << 3) | 2

export function traceByIdV2Proto (trace: TracesData | null): Buffer {
  const inner = trace === null ? Buffer.alloc(0) : encodeTracesProto(trace)
  const w = new ProtoWriter(1 + lenSize(inner.length))
  w.varint(TRACE_FIELD_TAG)
  w.bytes(inner)
  return w.finish()
}
