import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { encodeTracesProto } from '../common/otlp/encode-proto.ts'
import { SpanKind } from '../common/otlp/model.ts'
import type { Span } from '../common/otlp/model.ts'
import type { CutTrace } from './cut-trace.ts'
import { traceShape } from './data-quality.ts'
import { runSegmentJob } from './encoder-jobs.ts'
import { tempDir } from './testing/tmp.ts'

const MS = 1_000_000n
const T0 = 1_763_700_000_000
let seq = 0

function span (traceByte: number, id: number, parent: number | null, startMs = T0, endMs = startMs + 10, kind: number = SpanKind.INTERNAL): Span {
  return {
    traceId: Buffer.alloc(16, traceByte),
    spanId: Buffer.alloc(8, id),
    traceState: '',
    parentSpanId: parent === null ? Buffer.alloc(0) : Buffer.alloc(8, parent),
    flags: 0,
    name: `s${id}`,
    kind,
    startTimeUnixNano: BigInt(startMs) * MS,
    endTimeUnixNano: BigInt(endMs) * MS,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  }
}

function cut (spans: Span[], createdAtMs = T0, lastAppendMs = T0): CutTrace {
  const fragment = encodeTracesProto({ resourceSpans: [{ resource: null, schemaUrl: '', scopeSpans: [{ scope: null, schemaUrl: '', spans }] }] })
  return { traceId: spans[0]!.traceId, fragments: [fragment], createdAtMs, lastAppendMs }
}

describe('trace shape (Tempo vParquet4 semantics)', () => {
  it('a rooted tree is connected', () => {
    assert.deepStrictEqual(traceShape([span(1, 1, null), span(1, 2, 1), span(1, 3, 2)]), { rootless: false, disconnected: false })
  })

  it('a trace without a root is rootless and disconnected', () => {
    assert.deepStrictEqual(traceShape([span(1, 2, 1), span(1, 3, 2)]), { rootless: true, disconnected: true })
  })

  it('a span whose parent is missing disconnects a rooted trace', () => {
    assert.deepStrictEqual(traceShape([span(1, 1, null), span(1, 3, 2)]), { rootless: false, disconnected: true })
  })

  it('Zipkin client/server pairs sharing a span id: the parent is the other kind', () => {
    const root = span(1, 1, null)
    const client = span(1, 2, 1, T0, T0 + 5, SpanKind.CLIENT)
    const server = span(1, 2, 1, T0, T0 + 5, SpanKind.SERVER)
    const child = span(1, 3, 2)
    assert.deepStrictEqual(traceShape([root, client, server, child]), { rootless: false, disconnected: false })
    // The child of a shared id must find the SERVER one; with two CLIENTs it finds none.
    const client2 = span(1, 2, 1, T0, T0 + 5, SpanKind.CLIENT)
    assert.deepStrictEqual(traceShape([root, client, client2, child]), { rootless: false, disconnected: true })
  })

  it('more than two spans sharing an id make the trace disconnected', () => {
    assert.deepStrictEqual(traceShape([span(1, 1, null), span(1, 2, 1), span(1, 2, 1), span(1, 2, 1)]), { rootless: false, disconnected: true })
  })
})

describe('segment warnings and time range', () => {
  const dir = tempDir()
  after(() => dir.remove())
  const write = (traces: CutTrace[], slackMs = 60_000): ReturnType<typeof runSegmentJob> =>
    runSegmentJob({ dir: join(dir.path, 'b'), name: String(++seq).padStart(10, '0'), tenant: 't', partition: 0, blockId: 'b', traces, offsets: { first: 0n, last: 0n }, slackMs, nowMs: T0 })

  it('counts rootless and disconnected traces, and spans outside the ingestion window', async () => {
    const { warnings } = await write([
      cut([span(1, 1, null), span(1, 2, 1)]),
      cut([span(2, 2, 1), span(2, 3, 2)]),
      cut([span(3, 1, null), span(3, 3, 2)]),
      cut([span(4, 1, null, T0 - 61_000, T0), span(4, 2, 1, T0, T0 + 61_000), span(4, 3, 1, T0 - 70_000, T0 + 70_000), span(4, 4, 1)]),
    ])
    assert.deepStrictEqual(warnings, { outside_ingestion_time_slack: 3, rootless_trace_flushed_to_wal: 1, disconnected_trace_flushed_to_wal: 2 })
  })

  it('the time range is the union of the traces\' ranges, clamped to their windows, never stretched', async () => {
    const inside = await write([cut([span(1, 1, null, T0 - 1000, T0 + 500)]), cut([span(2, 1, null, T0 + 100, T0 + 2000)], T0 + 1000, T0 + 1000)])
    assert.equal(inside.meta.startTimeUnixNano, BigInt(T0 - 1000) * MS)
    assert.equal(inside.meta.endTimeUnixNano, BigInt(T0 + 2000) * MS)

    const clamped = await write([cut([span(1, 1, null, T0 - 3_600_000, T0 + 3_600_000)], T0, T0 + 5000)])
    assert.equal(clamped.meta.startTimeUnixNano, BigInt(T0 - 60_000) * MS)
    assert.equal(clamped.meta.endTimeUnixNano, BigInt(T0 + 5000 + 60_000) * MS)
    assert.equal(clamped.meta.spanStartTimeUnixNano, BigInt(T0 - 3_600_000) * MS, 'the spans themselves are kept as they are')
    assert.equal(clamped.warnings.outside_ingestion_time_slack, 1)

    // A trace entirely in the future of its window collapses onto the window's end.
    const future = await write([cut([span(1, 1, null, T0 + 3_600_000, T0 + 3_600_010)])])
    assert.equal(future.meta.startTimeUnixNano, BigInt(T0 + 60_000) * MS)
    assert.equal(future.meta.endTimeUnixNano, BigInt(T0 + 60_000) * MS)
  })
})
