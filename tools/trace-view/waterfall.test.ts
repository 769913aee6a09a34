import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SpanKind, StatusCode } from '../../common/otlp/model.ts'
import type { ResourceSpans, Span, TracesData } from '../../common/otlp/model.ts'
import { formatDuration, renderWaterfall } from './waterfall.ts'

const T0 = 1_700_000_000_000_000_000n
const TRACE_ID = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex')

function ms (x: number): bigint {
  return T0 + BigInt(Math.round(x * 1e6))
}

function span (id: number, parent: number, name: string, start: number, end: number, opts: { kind?: number, error?: boolean } = {}): Span {
  const sid = (n: number): Buffer => n === 0 ? Buffer.alloc(0) : Buffer.from(n.toString(16).padStart(16, '0'), 'hex')
  return {
    traceId: TRACE_ID, spanId: sid(id), traceState: '', parentSpanId: sid(parent), flags: 0, name, kind: opts.kind ?? SpanKind.INTERNAL,
    startTimeUnixNano: ms(start), endTimeUnixNano: ms(end), attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0,
    links: [], droppedLinksCount: 0, status: opts.error === true ? { code: StatusCode.ERROR, message: 'boom' } : { code: StatusCode.UNSET, message: '' },
  }
}

function resource (service: string, spans: Span[]): ResourceSpans {
  return {
    resource: { attributes: [{ key: 'service.name', value: { kind: 'string', value: service } }], droppedAttributesCount: 0 },
    scopeSpans: [{ scope: null, spans, schemaUrl: '' }],
    schemaUrl: '',
  }
}

// Spans deliberately out of order within their resources: the renderer sorts by tree and time.
const TRACE: TracesData = {
  resourceSpans: [
    resource('frontend', [
      span(5, 1, 'render page', 70, 95.5),
      span(1, 0, 'GET /api/cart', 0, 100, { kind: SpanKind.SERVER }),
      span(2, 1, 'GET', 10, 60, { kind: SpanKind.CLIENT }),
    ]),
    resource('cart', [
      span(4, 3, 'SELECT shop.carts', 20, 50, { kind: SpanKind.CLIENT, error: true }),
      span(3, 2, 'GET /cart/{userId}', 12, 58, { kind: SpanKind.SERVER }),
    ]),
    resource('email', [
      span(7, 6, 'send smtp', 90, 90.042),
      span(6, 99, 'orders process', 80, 120, { kind: SpanKind.CONSUMER }),
    ]),
  ],
}

describe('renderWaterfall', () => {
  it('renders a fixed trace exactly (tree order, bars on the time axis, errors, orphans)', () => {
    // width 65: a 26-column label and a 24-cell bar, so one cell is 5 ms of the 120 ms trace.
    const expected = [
      'trace 0102030405060708090a0b0c0d0e0f10  7 spans  3 services  120ms',
      ' frontend GET /api/cart     |████████████████████    |      100ms',
      '   frontend GET             |  ██████████            |     50.0ms',
      '     cart GET /cart/{userI… |  ██████████            |     46.0ms',
      '!      cart SELECT shop.ca… |    ██████              |     30.0ms',
      '   frontend render page     |              ██████    |     25.5ms',
      '(missing parent)',
      ' email orders process       |                ████████|     40.0ms',
      '   email send smtp          |                  █     |    0.042ms',
      '',
    ].join('\n')
    assert.equal(renderWaterfall(TRACE, { width: 65 }), expected)
  })

  it('keeps every line within the width', () => {
    for (const width of [60, 80, 120, 200]) {
      const lines = renderWaterfall(TRACE, { width }).split('\n').slice(1).filter((l) => l.includes('|'))
      for (const l of lines) assert.equal(l.length, width, l)
    }
  })

  it('colours errors red instead of marking them, and bars per service', () => {
    const out = renderWaterfall(TRACE, { width: 65, color: true })
    const errorLine = out.split('\n').find((l) => l.includes('SELECT'))
    assert.ok(errorLine?.startsWith(' \x1b[31m'), JSON.stringify(errorLine))
    assert.ok(!out.split('\n').some((l) => l.startsWith('!')))
    // Without the escapes it is the plain rendering minus the `!` mark.
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\x1b\[\d+m/g, '')
    assert.equal(plain, renderWaterfall(TRACE, { width: 65 }).replace(/^!/m, ' '))
  })

  it('lists spans in a parent cycle under (missing parent) instead of looping', () => {
    const cyclic: TracesData = { resourceSpans: [resource('svc', [span(1, 2, 'a', 0, 10), span(2, 1, 'b', 1, 9)])] }
    const out = renderWaterfall(cyclic, { width: 60 })
    assert.match(out, /\(missing parent\)\n svc a .*\n {3}svc b /)
  })

  it('handles an empty trace and a zero-length trace', () => {
    assert.equal(renderWaterfall({ resourceSpans: [] }), '(empty trace)\n')
    const out = renderWaterfall({ resourceSpans: [resource('svc', [span(1, 0, 'instant', 5, 5)])] }, { width: 60 })
    assert.match(out, /svc instant +\|█ +\| +0\.000ms\n$/)
  })

  it('formats durations with sensible precision', () => {
    assert.deepStrictEqual([42_000n, 1_250_000n, 12_500_000n, 123_400_000n, 12_345_600_000n].map(formatDuration), ['0.042ms', '1.25ms', '12.5ms', '123ms', '12346ms'])
  })
})
