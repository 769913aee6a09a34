import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeTracesProto } from '../../common/otlp/index.ts'
import type { AnyValue, TracesData } from '../../common/otlp/model.ts'
import { writeBlock } from '../block-writer.ts'

/**
 * The v1 golden fixture (`fixtures/v1/`): a small block covering every v1 feature, plus the
 * traces it holds as OTLP protobuf (`expected.binpb`). Written once, when v1 was defined, by
 * `WAL_WRITE_FIXTURES=1 node scripts/test.js wal/format/v1-golden.test.ts`; never rewritten.
 * Readers of every later version must still read it (v1-golden.test.ts).
 */
export const FIXTURE_BLOCK_ID = 'v1-golden'

const id = (hex: string): Buffer => Buffer.from(hex, 'hex')
const s = (value: string): AnyValue => ({ kind: 'string', value })
const T1 = id('0af7651916cd43dd8448eb211c80319c')
const T2 = id('ffffffffffffffffffffffffffffff01')
const BIG = (1n << 63n) + 12345n // above 2^53 and 2^63: exact only as bigint

export function fixtureTraces (): TracesData[] {
  const every: AnyValue = {
    kind: 'kvlist',
    value: [
      { key: 'str', value: s('héllo') }, { key: 'bool', value: { kind: 'bool', value: true } },
      { key: 'int', value: { kind: 'int', value: -(1n << 63n) } }, { key: 'double', value: { kind: 'double', value: 3.5 } },
      { key: 'bytes', value: { kind: 'bytes', value: id('00ff10') } }, { key: 'empty', value: { kind: 'empty' } },
      { key: 'array', value: { kind: 'array', value: [s('a'), { kind: 'int', value: (1n << 53n) + 1n }, { kind: 'array', value: [] }] } },
    ],
  }
  const resource = { attributes: [{ key: 'service.name', value: s('checkout') }, { key: 'k8s.pod.name', value: s('checkout-1') }], droppedAttributesCount: 1 }
  const scope = { name: 'io.opentelemetry.http', version: '1.2.3', attributes: [{ key: 'scope.attr', value: s('x') }], droppedAttributesCount: 0 }
  return [{
    resourceSpans: [{
      resource,
      schemaUrl: 'https://opentelemetry.io/schemas/1.20.0',
      scopeSpans: [{
        scope,
        schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
        spans: [
          {
            traceId: T1, spanId: id('00f067aa0ba902b7'), traceState: 'vendor=1', parentSpanId: Buffer.alloc(0), flags: 1,
            name: 'GET /api/cart', kind: 2, startTimeUnixNano: 1_763_700_000_123_456_789n, endTimeUnixNano: 1_763_700_000_223_456_789n,
            attributes: [{ key: 'http.method', value: s('GET') }, { key: 'http.status_code', value: { kind: 'int', value: 500n } }, { key: 'every', value: every }],
            droppedAttributesCount: 2,
            events: [{ timeUnixNano: 1_763_700_000_150_000_001n, name: 'exception', attributes: [{ key: 'exception.type', value: s('Timeout') }], droppedAttributesCount: 0 }],
            droppedEventsCount: 3,
            links: [{ traceId: T2, spanId: id('1111111111111111'), traceState: '', attributes: [{ key: 'link.kind', value: s('follows') }], droppedAttributesCount: 0, flags: 0xffffffff }],
            droppedLinksCount: 4,
            status: { code: 2, message: 'upstream timed out' },
          },
          {
            traceId: T1, spanId: id('00f067aa0ba902b8'), traceState: '', parentSpanId: id('00f067aa0ba902b7'), flags: 0,
            name: 'SELECT orders', kind: 3, startTimeUnixNano: 1_763_700_000_130_000_000n, endTimeUnixNano: 1_763_700_000_140_000_000n,
            attributes: [{ key: 'db.system', value: s('postgresql') }, { key: 'db.statement', value: s('SELECT * FROM orders WHERE id = $1') }],
            droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
          },
        ],
      }],
    }, {
      resource: null,
      schemaUrl: '',
      scopeSpans: [{
        scope: null,
        schemaUrl: '',
        spans: [{
          traceId: T2, spanId: id('2222222222222222'), traceState: '', parentSpanId: Buffer.alloc(0), flags: 0,
          name: 'far future', kind: 0, startTimeUnixNano: BIG, endTimeUnixNano: (1n << 64n) - 1n,
          attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 1, message: '' },
        }],
      }],
    }],
  }]
}

/** Writes the fixture block and expected.binpb into `dir` (fixtures/v1). */
export async function writeFixture (dir: string): Promise<void> {
  const traces = fixtureTraces()
  await writeBlock({
    dir, tenant: 'fixture-tenant', partition: 2, blockId: FIXTURE_BLOCK_ID, traces,
    offsetRange: { first: 1000n, last: 1010n }, clock: { now: () => 1_763_700_001_000 },
  })
  await writeFile(join(dir, 'expected.binpb'), encodeTracesProto(traces[0]!))
}
