/**
 * Builders of OTLP test data for store/ and query/ tests (not used by production code).
 * Trace ids are given as short hex strings and left-padded to 16 bytes; span ids likewise to 8.
 */
import type { KeyValue, ResourceSpans, Span, TracesData } from '../common/otlp/model.ts'
import { span as baseSpan } from '../common/otlp/testing/model-fixture.ts'

export function traceIdOf (hex: string): Buffer {
  return Buffer.from(hex.padStart(32, '0'), 'hex')
}

export function spanIdOf (hex: string): Buffer {
  return Buffer.from(hex.padStart(16, '0'), 'hex')
}

export function makeSpan (trace: string, span: string, fields: Partial<Span> = {}): Span {
  return baseSpan({ traceId: traceIdOf(trace), spanId: spanIdOf(span), name: `span-${span}`, kind: 2, endTimeUnixNano: 1_700_000_000_100_000_000n, ...fields })
}

export function serviceAttr (name: string): KeyValue {
  return { key: 'service.name', value: { kind: 'string', value: name } }
}

/** One ResourceSpans for `service` with one scope holding `spans`. */
export function batch (service: string, spans: Span[]): ResourceSpans {
  return {
    resource: { attributes: [serviceAttr(service)], droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 'test-scope', version: '1.0', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
    schemaUrl: '',
  }
}

export function tracesData (...batches: ResourceSpans[]): TracesData {
  return { resourceSpans: batches }
}

/** Every span of a TracesData, in order. */
export function spansOf (data: TracesData | null): Span[] {
  if (data === null) return []
  return data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
}
