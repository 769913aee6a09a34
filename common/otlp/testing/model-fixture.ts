import type { Span, TracesData } from '../model.ts'

/** A small hand-written model used by the encoder and split tests. */
export function span (overrides: Partial<Span> = {}): Span {
  return {
    traceId: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
    spanId: Buffer.from('a1a2a3a4a5a6a7a8', 'hex'),
    traceState: '',
    parentSpanId: Buffer.alloc(0),
    flags: 0,
    name: 'GET /api',
    kind: 0,
    startTimeUnixNano: 1700000000000000000n,
    endTimeUnixNano: 1700000000500000000n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    ...overrides,
  }
}

export function traces (spans: Span[]): TracesData {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { kind: 'string', value: 'api' } }], droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'lib', version: '', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    }],
  }
}
