import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { AnyValue, KeyValue, Span, TracesData } from '../common/otlp/model.ts'
import { span as baseSpan } from '../common/otlp/testing/model-fixture.ts'
import type { PrefilterCondition, PrefilterField, PrefilterValue, SearchWindow, SpanPrefilter } from '../common/search/prefilter.ts'
import { pieceMayMatch } from '../common/search/prefilter-eval.ts'
import { openBlock } from './block-reader.ts'
import type { BlockReader } from './block-reader.ts'
import { newBlockScanStats, scanTraces } from './block-search.ts'
import type { BlockScanStats } from './block-search.ts'
import { contains } from './block-search-blobs.ts'
import { memorySource } from './block-search-testing.ts'
import { writeBlock } from './block-writer.ts'
import { fixedClock, tempDir } from './testing/tmp.ts'

/**
 * The column-wise prefilter (block-search-rows.ts) against spanMayMatch on the model: a block's
 * candidates are exactly the traces pieceMayMatch accepts, on a freshly opened block and on one
 * that has kept what earlier scans learnt; and what it skips.
 */
const T0 = 1_763_700_000_000_000_000n
const SEC = 1_000_000_000n
const TRACES = 40
const SPANS = 5
const str = (value: string): AnyValue => ({ kind: 'string', value })
const int = (value: bigint): AnyValue => ({ kind: 'int', value })
const traceId = (i: number): Buffer => Buffer.from(i.toString(16).padStart(32, '0'), 'hex')
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').replace(/^0+/, '')
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value })

/**
 * Every service in every row group (no statistics prune it), and http.status_code mostly an int
 * (so its dedicated column has values and nulls everywhere), except where it hides behind a null:
 * trace 7 has a double 418 (meets `= 418`), trace 13 a string "418", trace 21 a boolean, trace 33
 * a string first and an int 418 second (the first counts: no numeric match); trace 26 has an int
 * 200 first and a double 418 second (no match); trace 30 has a plain int 418. Spans 1 carry the
 * key's bytes in a value (`note`), not as a key.
 */
function spanAttributes (i: number, j: number): KeyValue[] {
  if (i === 7 && j === 3) return [kv('http.status_code', { kind: 'double', value: 418 })]
  if (i === 13 && j === 1) return [kv('note', str('http.status_code')), kv('http.status_code', str('418'))]
  if (i === 21 && j === 3) return [kv('http.status_code', { kind: 'bool', value: true })]
  if (i === 33 && j === 3) return [kv('http.status_code', str('x')), kv('http.status_code', int(418n))]
  if (i === 26 && j === 0) return [kv('http.status_code', int(200n)), kv('http.status_code', { kind: 'double', value: 418 })]
  if (i === 30 && j === 2) return [kv('http.status_code', int(418n))]
  switch (j) {
    case 0: return [kv('http.status_code', int(i % 9 === 0 ? 500n : 200n))]
    case 1: return [kv('note', str('http.status_code'))]
    case 2: return [kv('http.status_code', int(201n))]
    case 3: return []
    default: return [kv('db.system', str(i % 3 === 0 ? 'redis' : 'postgresql'))]
  }
}

function dataset (): TracesData[] {
  return Array.from({ length: TRACES }, (_, i): TracesData => {
    const spans: Span[] = Array.from({ length: SPANS }, (_, j) => {
      const start = T0 + BigInt(i) * SEC + BigInt(j) * 1000n
      return baseSpan({
        traceId: traceId(i),
        spanId: Buffer.from([0, 0, 0, 0, 0, 0, i, j + 1]),
        parentSpanId: j === 0 ? Buffer.alloc(0) : Buffer.from([0, 0, 0, 0, 0, 0, i, 1]),
        name: `op-${j}`,
        kind: j % 3,
        startTimeUnixNano: start,
        endTimeUnixNano: start + BigInt(j + 1) * 1_000_000n,
        status: { code: i === 17 && j === 4 ? 2 : 0, message: '' },
        attributes: spanAttributes(i, j),
      })
    })
    return {
      resourceSpans: [{
        resource: { attributes: [kv('service.name', str(`svc-${i % 4}`)), kv('host.name', str(`h${i % 2}`))], droppedAttributesCount: 0 },
        scopeSpans: [{ scope: { name: 'lib', version: '1', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
        schemaUrl: '',
      }],
    }
  })
}

const DATA = dataset()
const GROUP_ROWS = 25 // five traces per row group, eight groups

const service: PrefilterField = { scope: 'resource', key: 'service.name' }
const code: PrefilterField = { scope: 'span', key: 'http.status_code' }
const cond = (field: PrefilterField, op: PrefilterCondition['op'], value: PrefilterValue): PrefilterCondition => ({ field, op, value })
const where = (...conds: PrefilterCondition[]): SpanPrefilter => ({ anyOf: [conds] })

/** The traces a scan must yield: those pieceMayMatch accepts (each trace is whole in the block). */
function expected (prefilter: SpanPrefilter | undefined, window: SearchWindow): string[] {
  return DATA.filter((t) => pieceMayMatch(t, window, prefilter)).map((t) => hex(t.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId))
}

const dir = tempDir()
let shared: BlockReader
before(async () => {
  await writeBlock({ dir: dir.path, tenant: 't', partition: 0, blockId: 'b', traces: DATA, offsetRange: { first: 0n, last: 0n }, clock: fixedClock(), options: { rowGroupRows: GROUP_ROWS } })
  shared = await openBlock(join(dir.path, 'b'))
  assert.equal(shared.meta.rowGroupCount, TRACES * SPANS / GROUP_ROWS)
})
after(async () => {
  await shared.close()
  dir.remove()
})

async function search (reader: BlockReader, prefilter: SpanPrefilter | undefined, window: SearchWindow = {}): Promise<{ ids: string[], stats: BlockScanStats }> {
  const stats = newBlockScanStats()
  const ids: string[] = []
  for await (const p of reader.searchTraces({ window, prefilter, stats })) ids.push(hex(p.traceId))
  return { ids, stats }
}

async function fresh<T> (fn: (reader: BlockReader) => Promise<T>): Promise<T> {
  const reader = await openBlock(join(dir.path, 'b'))
  try {
    return await fn(reader)
  } finally {
    await reader.close()
  }
}

const FIELDS: PrefilterField[] = [
  service, code, { scope: 'any', key: 'http.status_code' }, { scope: 'span', key: 'note' }, { scope: 'span', key: 'db.system' },
  { scope: 'resource', key: 'host.name' }, { scope: 'intrinsic', name: 'name' }, { scope: 'intrinsic', name: 'duration' },
  { scope: 'intrinsic', name: 'status' }, { scope: 'intrinsic', name: 'kind' },
]
const VALUES: PrefilterValue[] = [418n, 418, 417.5, 200n, 201n, 500n, 0n, 1n, 2n, 3_000_000n, '418', 'x', 'svc-1', 'svc-3', 'h0', 'op-3', 'redis', 'http.status_code', true, false]
const arbCondition: fc.Arbitrary<PrefilterCondition> = fc.record({
  field: fc.constantFrom(...FIELDS),
  op: fc.constantFrom<PrefilterCondition['op']>('=', '!=', '<', '<=', '>', '>='),
  value: fc.constantFrom(...VALUES),
})
const arbPrefilter: fc.Arbitrary<SpanPrefilter | undefined> = fc.option(
  fc.array(fc.array(arbCondition, { maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((anyOf) => ({ anyOf })),
  { freq: 10, nil: undefined },
)
const arbWindow: fc.Arbitrary<SearchWindow> = fc.oneof(
  fc.constant({}),
  fc.tuple(fc.integer({ min: 0, max: TRACES }), fc.integer({ min: 0, max: 5 })).map(([s, n]) => ({ startUnixNano: T0 + BigInt(s) * SEC, endUnixNano: T0 + BigInt(s + n) * SEC })),
)

describe('column-wise prefilter on blocks', () => {
  it('yields exactly the traces spanMayMatch accepts, on a fresh block and on one that kept what earlier scans learnt (property)', async () => {
    await fc.assert(fc.asyncProperty(arbPrefilter, arbWindow, async (prefilter, window) => {
      const want = expected(prefilter, window)
      const cold = await fresh((r) => search(r, prefilter, window))
      assert.deepEqual(cold.ids, want)
      const warm = await search(shared, prefilter, window)
      assert.deepEqual(warm.ids, want)
      assert.equal(warm.stats.tracesScanned, cold.stats.tracesScanned)
      assert.equal(warm.stats.rowsScanned, cold.stats.rowsScanned)
    }), { numRuns: 150 })
  })

  it('finds a number hidden behind a null of the int64 column, and only where the first attribute holds it', async () => {
    for (const value of [418n, 418]) {
      const want = ['7', '1e'] // the double of trace 7, the int of trace 30
      assert.deepEqual(expected(where(cond(code, '=', value)), {}), want)
      assert.deepEqual((await fresh((r) => search(r, where(cond(code, '=', value))))).ids, want)
      assert.deepEqual((await search(shared, where(cond(code, '=', value)))).ids, want)
      assert.deepEqual((await search(shared, where(cond(code, '=', value)))).ids, want, 'again, from what the first scans learnt')
    }
    assert.deepEqual((await search(shared, where(cond(code, '=', '418')))).ids, ['d'], 'the string of trace 13')
    assert.deepEqual((await search(shared, where(cond(code, '=', true)))).ids, ['15'], 'the boolean of trace 21')
  })

  it('scans a group once for its null rows\' keys, then rules groups out without reading (a rare miss)', async () => {
    await fresh(async (reader) => {
      // No span has http.response.status_code: its column is all null, which statistics cannot judge.
      const miss = where(cond(service, '=', 'svc-1'), cond({ scope: 'span', key: 'http.response.status_code' }, '=', 418n))
      const first = await search(reader, miss)
      assert.deepEqual(first.ids, [])
      assert.deepEqual([first.stats.rowGroupsScanned, first.stats.rowGroupsSkipped], [8, 0], 'no statistics rule a group out')
      assert.ok(first.stats.bytesRead > 0)
      const again = await search(reader, miss)
      assert.deepEqual(again.ids, [])
      assert.deepEqual([again.stats.bytesRead, again.stats.tracesScanned, again.stats.rowsScanned], [0, first.stats.tracesScanned, first.stats.rowsScanned], 'nothing read; the same figures')
    })
    const src = memorySource(DATA, GROUP_ROWS)
    const groupsRead = (): number[] => [...new Set(src.reads.map((r) => r.rowStart))].sort((x, y) => x - y)
    const miss = where(cond(service, '=', 'svc-1'), cond(code, '=', 419n))
    assert.deepEqual(await collectIds(src, miss), [])
    assert.deepEqual(groupsRead(), [0, 25, 50, 75, 100, 125, 150, 175])
    src.reads.length = 0
    assert.deepEqual(await collectIds(src, miss), [])
    assert.deepEqual(groupsRead(), [25, 50, 100, 150], 'only the groups where a null row has the key (traces 7, 13, 21, 33)')
    // Other values of the same columns: what was learnt decides too, and never hides a match.
    assert.deepEqual(await collectIds(src, where(cond(service, '=', 'svc-2'), cond(code, '=', 418n))), ['1e'])
    assert.deepEqual(await collectIds(src, where(cond(code, '=', 418))), ['7', '1e'])
    assert.equal((await collectIds(src, where(cond(service, '=', 'svc-0')))).length, TRACES / 4)
    src.reads.length = 0
    assert.deepEqual(await collectIds(src, where(cond(service, '=', 'svc-15'))), [], 'within every group\'s bounds, so statistics cannot rule it out')
    assert.deepEqual(src.reads, [], 'no group holds svc-15, as the first scan learnt: nothing read')
  })

  it('reads trace ids, times and blobs only for groups where rows remain', async () => {
    const src = memorySource(DATA, GROUP_ROWS)
    const columnsRead = (): string[] => [...new Set(src.reads.flatMap((r) => r.columns))].sort()
    const none = await collectIds(src, where(cond({ scope: 'intrinsic', name: 'name' }, '=', 'op-9'), cond({ scope: 'span', key: 'user.id' }, '=', 'u')))
    assert.deepEqual([none, columnsRead()], [[], ['name', 'trace_id']], 'no blob read once the name rules every row out; trace ids for the trace count only')
    src.reads.length = 0
    const one = await collectIds(src, where(cond({ scope: 'intrinsic', name: 'status' }, '=', 2n), cond({ scope: 'any', key: 'db.system' }, '=', 'postgresql')))
    assert.deepEqual(one, ['11'])
    const blobReads = src.reads.filter((r) => r.columns.length === 1 && r.columns[0]!.endsWith('attributes')).map((r) => `${r.columns[0]}@${r.rowStart}`)
    assert.deepEqual(blobReads.sort(), ['attributes@75', 'resource_attributes@75'], 'the blobs of the one group with an error span')
  })

  it('does not keep what a failed read left unknown', async () => {
    const src = memorySource(DATA, GROUP_ROWS)
    const miss = where(cond(code, '=', 419n))
    src.failColumnReads(1)
    await assert.rejects(collectIds(src, miss), /failed read/)
    src.failColumnReads(0)
    assert.deepEqual(await collectIds(src, miss), [])
    assert.deepEqual(await collectIds(src, where(cond(code, '=', 418n))), ['7', '1e'])
  })

  it('finds a key in a blob by its bytes', () => {
    const b = (s: string): Uint8Array => Buffer.from(s)
    assert.ok(contains(b('xxhttp.status_code'), b('http.status_code')))
    assert.ok(contains(b('hhttp'), b('http')))
    assert.ok(contains(b('abc'), b('')))
    assert.ok(!contains(b('http.status_cod'), b('http.status_code')))
    assert.ok(!contains(b(''), b('h')))
    assert.ok(!contains(b('hxhttq'), b('http')))
  })
})

async function collectIds (src: ReturnType<typeof memorySource>, prefilter: SpanPrefilter | undefined): Promise<string[]> {
  const ids: string[] = []
  for await (const p of scanTraces(src, { window: {}, prefilter })) ids.push(hex(p.traceId))
  return ids
}
