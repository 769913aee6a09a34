import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { KeyValue, Span, TracesData } from '../common/otlp/model.ts'
import { span as baseSpan } from '../common/otlp/testing/model-fixture.ts'
import type { PrefilterCondition, SpanPrefilter } from '../common/search/prefilter.ts'
import { openBlock } from './block-reader.ts'
import type { BlockReader } from './block-reader.ts'
import { newBlockScanStats, scanTraces } from './block-search.ts'
import type { BlockScanStats, BlockTracePiece, TraceScanOptions } from './block-search.ts'
import { memorySource } from './block-search-testing.ts'
import { writeBlock } from './block-writer.ts'
import { flattenTraces } from './records.ts'
import { fixedClock, tempDir } from './testing/tmp.ts'

const T0 = 1_763_700_000_000_000_000n
const SEC = 1_000_000_000n
const TRACES = 60
const SPANS = 4
const str = (value: string): KeyValue['value'] => ({ kind: 'string', value })
const int = (value: bigint): KeyValue['value'] => ({ kind: 'int', value })
const traceId = (i: number): Buffer => Buffer.from(i.toString(16).padStart(32, '0'), 'hex')
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/^0+/, '')

/**
 * 60 traces of 4 spans, trace i starting at T0 + i s, so rows (sorted by trace id) and time go
 * together; services change every 10 traces; every span carries http.status_code 200 except
 * trace 42's second span (500) and trace 50's first (503 as a double); trace 55 is slow (10 s spans); trace 17 has an error span;
 * trace 33's third span has a user.id (no dedicated column).
 */
function dataset (): TracesData[] {
  const out: TracesData[] = []
  for (let i = 0; i < TRACES; i++) {
    const spans: Span[] = []
    for (let j = 0; j < SPANS; j++) {
      const start = T0 + BigInt(i) * SEC + BigInt(j) * 1000n
      const code: KeyValue['value'] = i === 50 && j === 0 ? { kind: 'double', value: 503 } : int(i === 42 && j === 1 ? 500n : 200n)
      const attributes: KeyValue[] = [{ key: 'http.status_code', value: code }]
      if (i === 33 && j === 2) attributes.push({ key: 'user.id', value: str('u7') })
      spans.push(baseSpan({
        traceId: traceId(i),
        spanId: Buffer.from([0, 0, 0, 0, 0, 0, i, j + 1]),
        parentSpanId: j === 0 ? Buffer.alloc(0) : Buffer.from([0, 0, 0, 0, 0, 0, i, 1]),
        name: `op-${j}`,
        startTimeUnixNano: start,
        endTimeUnixNano: start + (i === 55 ? 10n * SEC : 1_000_000n),
        status: { code: i === 17 && j === 3 ? 2 : 0, message: '' },
        attributes,
      }))
    }
    out.push({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: str(`svc-${Math.floor(i / 10)}`) }], droppedAttributesCount: 0 },
        scopeSpans: [{ scope: { name: 'lib', version: '1', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
        schemaUrl: '',
      }],
    })
  }
  return out
}

const dir = tempDir()
let reader: BlockReader
before(async () => {
  // 20-row groups: five traces each, twelve groups.
  await writeBlock({ dir: dir.path, tenant: 't', partition: 0, blockId: 'b', traces: dataset(), offsetRange: { first: 0n, last: 0n }, clock: fixedClock(), options: { rowGroupRows: 20 } })
  reader = await openBlock(join(dir.path, 'b'))
  assert.equal(reader.meta.rowGroupCount, 12)
})
after(async () => {
  await reader.close()
  dir.remove()
})

async function collect (it: AsyncIterable<BlockTracePiece>): Promise<BlockTracePiece[]> {
  const out: BlockTracePiece[] = []
  for await (const p of it) out.push(p)
  return out
}

async function search (prefilter: SpanPrefilter | undefined, window: TraceScanOptions['window'] = {}): Promise<{ ids: string[], pieces: BlockTracePiece[], stats: BlockScanStats }> {
  const stats = newBlockScanStats()
  const pieces = await collect(reader.searchTraces({ window, prefilter, stats }))
  return { ids: pieces.map((p) => hex(p.traceId)), pieces, stats }
}

const where = (...conds: PrefilterCondition[]): SpanPrefilter => ({ anyOf: [conds] })
const spanCount = (t: TracesData): number => flattenTraces([t]).length

describe('block search scan', () => {
  it('with no prefilter and no window reads every group and yields every trace whole', async () => {
    const { pieces, stats } = await search(undefined)
    assert.equal(pieces.length, TRACES)
    assert.ok(pieces.every((p) => spanCount(p.trace) === SPANS))
    assert.deepEqual({ scanned: stats.rowGroupsScanned, skipped: stats.rowGroupsSkipped, traces: stats.tracesScanned, rows: stats.rowsScanned }, { scanned: 12, skipped: 0, traces: TRACES, rows: TRACES * SPANS })
  })

  it('skips row groups by the dedicated resource column\'s statistics, and reads fewer bytes', async () => {
    const all = await search(undefined)
    const { ids, pieces, stats } = await search(where({ field: { scope: 'resource', key: 'service.name' }, op: '=', value: 'svc-3' }))
    assert.deepEqual(ids, ['1e', '1f', '20', '21', '22', '23', '24', '25', '26', '27'])
    assert.ok(pieces.every((p) => spanCount(p.trace) === SPANS))
    assert.deepEqual({ scanned: stats.rowGroupsScanned, skipped: stats.rowGroupsSkipped }, { scanned: 2, skipped: 10 })
    assert.ok(stats.bytesRead * 3 < all.stats.bytesRead, `${stats.bytesRead} vs ${all.stats.bytesRead} bytes`)
  })

  it('skips row groups by time (index bounds) and by duration, status and kind statistics', async () => {
    const win = await search(undefined, { startUnixNano: T0 + 20n * SEC, endUnixNano: T0 + 24n * SEC })
    assert.deepEqual(win.ids, ['14', '15', '16', '17', '18'])
    assert.deepEqual([win.stats.rowGroupsScanned, win.stats.rowGroupsSkipped], [1, 11])
    const slow = await search(where({ field: { scope: 'intrinsic', name: 'duration' }, op: '>', value: 5n * SEC }))
    assert.deepEqual(slow.ids, ['37'])
    assert.equal(slow.stats.rowGroupsScanned, 1)
    const errors = await search(where({ field: { scope: 'intrinsic', name: 'status' }, op: '=', value: 2n }))
    assert.deepEqual(errors.ids, ['11'])
    assert.equal(errors.stats.rowGroupsScanned, 1)
    const kinds = await search(where({ field: { scope: 'intrinsic', name: 'kind' }, op: '!=', value: 0n }))
    assert.deepEqual([kinds.ids, kinds.stats.rowGroupsScanned], [[], 0])
  })

  it('prunes an int64 dedicated column only where it has no nulls', async () => {
    const { ids, stats } = await search(where({ field: { scope: 'span', key: 'http.status_code' }, op: '>=', value: 500n }))
    assert.deepEqual(ids, ['2a', '32'], 'the double 503 counts: numbers compare across int and double')
    assert.deepEqual([stats.rowGroupsScanned, stats.rowGroupsSkipped], [2, 10], 'the 500 group, and the group whose column has a null (the double)')
    const float = await search(where({ field: { scope: 'span', key: 'http.status_code' }, op: '>', value: 499.5 }))
    assert.deepEqual(float.ids, ['2a', '32'], 'a float compares with the int column')
  })

  it('tests rows on attributes without a dedicated column, reading only the candidates in full', async () => {
    const { ids, pieces, stats } = await search(where({ field: { scope: 'span', key: 'user.id' }, op: '=', value: 'u7' }))
    assert.deepEqual(ids, ['21'])
    assert.equal(spanCount(pieces[0]!.trace), SPANS, 'the whole trace, not only the matching span')
    assert.equal(stats.rowGroupsScanned, 12, 'no statistics: every group is a maybe')
    assert.equal(stats.rowsRead, SPANS)
    const any = await search(where({ field: { scope: 'any', key: 'service.name' }, op: '=', value: 'svc-5' }))
    assert.equal(any.ids.length, 10)
  })

  it('needs the window and the prefilter met somewhere in the trace, not by the same span', async () => {
    // Trace 0x2a: its 500 span starts at +1 µs; a window starting at its last span's start still finds it.
    const start = T0 + 42n * SEC + 3000n
    const { ids } = await search(where({ field: { scope: 'span', key: 'http.status_code' }, op: '=', value: 500n }), { startUnixNano: start, endUnixNano: start })
    assert.deepEqual(ids, ['2a'])
  })

  it('skips the whole block by its time range or a prefilter that matches nothing; stops on abort', async () => {
    const late = await search(undefined, { startUnixNano: T0 + 1000n * SEC })
    assert.deepEqual([late.ids, late.stats.readersSkipped, late.stats.bytesRead], [[], 1, 0])
    const none = await search({ anyOf: [] })
    assert.deepEqual([none.ids, none.stats.readersSkipped, none.stats.bytesRead], [[], 1, 0])
    const ctrl = new AbortController()
    const it = reader.searchTraces({ window: {}, prefilter: undefined, signal: ctrl.signal })
    assert.ok((await it.next()).done === false)
    ctrl.abort(new Error('enough'))
    await assert.rejects(collect(it), /enough/)
  })
})

describe('block search scan across row-group borders', () => {
  it('yields a trace cut by a border once and whole, found from either side', async () => {
    const src = memorySource(dataset().slice(0, 10), 6) // 4-span traces in 6-row groups
    for (const [prefilter, want] of [
      [undefined, 10],
      [where({ field: { scope: 'span', key: 'http.status_code' }, op: '=', value: 200n }), 10],
      [where({ field: { scope: 'intrinsic', name: 'name' }, op: '=', value: 'op-3' }), 10], // the last span: often in the next group
      [where({ field: { scope: 'intrinsic', name: 'name' }, op: '=', value: 'op-0' }), 10],
    ] as const) {
      const pieces = await collect(scanTraces(src, { window: {}, prefilter }))
      assert.equal(pieces.length, want)
      assert.deepEqual(pieces.map((p) => hex(p.traceId)).sort(), ['', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((h) => h).sort())
      for (const p of pieces) assert.equal(spanCount(p.trace), SPANS, `trace ${hex(p.traceId)} whole`)
    }
  })

  it('finds a cut trace whose window overlap and prefilter match lie in different groups', async () => {
    const src = memorySource(dataset().slice(0, 3), 6)
    // Trace 1 has rows 4..7: rows 4-5 in group 0, rows 6-7 in group 1. Its first span (+0) meets
    // the prefilter; only its last span (+3 µs) overlaps the window.
    const last = T0 + 1n * SEC + 3000n
    const pieces = await collect(scanTraces(src, { window: { startUnixNano: last, endUnixNano: last }, prefilter: where({ field: { scope: 'intrinsic', name: 'name' }, op: '=', value: 'op-0' }) }))
    assert.deepEqual(pieces.map((p) => hex(p.traceId)), ['1'])
    assert.equal(spanCount(pieces[0]!.trace), SPANS)
  })

  it('finds a cut trace whose meeting part lies in a group outside the window, from a group where no row meets', async () => {
    const data = dataset().slice(0, 3)
    for (const s of data[2]!.resourceSpans[0]!.scopeSpans[0]!.spans) s.name = `other-${s.name}`
    const src = memorySource(data, 6)
    // Trace 1: rows 4-5 (op-0, op-1) in group 0, rows 6-7 (op-2, op-3) in group 1, whose other
    // rows (trace 2) meet nothing. The window holds only op-3's end: group 0 is skipped by time.
    const window = { startUnixNano: T0 + 1n * SEC + 1_002_000n, endUnixNano: T0 + 1n * SEC + 1_003_000n }
    const stats = newBlockScanStats()
    const pieces = await collect(scanTraces(src, { window, prefilter: where({ field: { scope: 'intrinsic', name: 'name' }, op: '=', value: 'op-0' }), stats }))
    assert.deepEqual(pieces.map((p) => hex(p.traceId)), ['1'])
    assert.equal(spanCount(pieces[0]!.trace), SPANS)
    assert.deepEqual([stats.rowGroupsScanned, stats.rowGroupsSkipped], [1, 1])
  })
})
