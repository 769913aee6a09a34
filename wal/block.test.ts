import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { TracesData } from '../common/otlp/model.ts'
import { generateTraces } from '../tools/index.ts'
import { openBlock } from './block-reader.ts'
import { writeBlock } from './block-writer.ts'
import { flattenTraces } from './records.ts'
import { arbTracesData } from './testing/arbitraries.ts'
import { canonical } from './testing/compare.ts'
import { fixedClock, tempDir } from './testing/tmp.ts'

const dir = tempDir()
after(() => dir.remove())
let seq = 0

async function roundTrip (traces: TracesData[], options = {}): Promise<{ found: TracesData[], scanned: TracesData[], ids: Buffer[] }> {
  const blockId = `b${++seq}`
  await writeBlock({ dir: dir.path, tenant: 't1', partition: 3, blockId, traces, offsetRange: { first: 10n, last: 20n }, clock: fixedClock(), options })
  const reader = await openBlock(join(dir.path, blockId))
  try {
    const ids = [...new Map(flattenTraces(traces).map((r) => [r.span.traceId.toString('hex'), r.span.traceId])).values()]
    const found: TracesData[] = []
    for (const id of ids) {
      const t = await reader.findTrace(id)
      assert.ok(t !== null, `trace ${id.toString('hex')} not found`)
      found.push(t)
    }
    const scanned: TracesData[] = []
    for await (const rec of reader.spans()) scanned.push({ resourceSpans: [{ resource: rec.resource, schemaUrl: rec.resourceSchemaUrl, scopeSpans: [{ scope: rec.scope, schemaUrl: rec.scopeSchemaUrl, spans: [rec.span] }] }] })
    return { found, scanned, ids }
  } finally {
    await reader.close()
  }
}

describe('block round trip', () => {
  it('reads back any traces exactly, by id and by scan (property)', async () => {
    await fc.assert(fc.asyncProperty(arbTracesData, async (traces) => {
      // Tiny row groups and anchors, so lookups cross group and anchor boundaries.
      const { found, scanned } = await roundTrip(traces, { rowGroupRows: 3, anchorEvery: 2, pageSize: 256 })
      const expected = canonical(traces)
      assert.deepStrictEqual(canonical(found), expected)
      assert.deepStrictEqual(canonical(scanned), expected)
    }), { numRuns: 40 })
  })

  it('regroups a trace under shared resource and scope objects', async () => {
    const traces = [generateTraces({ seed: 3, traces: 20, now: 1_763_700_000_000 })]
    const { found } = await roundTrip(traces)
    for (const t of found) {
      const resources = t.resourceSpans.map((rs) => rs.resource)
      assert.equal(new Set(resources).size, resources.length, 'one ResourceSpans per resource')
    }
    assert.deepStrictEqual(canonical(found), canonical(traces))
  })

  it('returns null for absent traces and filters scans by time and service', async () => {
    const traces = [generateTraces({ seed: 4, traces: 200, now: 1_763_700_000_000 })]
    const blockId = `b${++seq}`
    const meta = await writeBlock({ dir: dir.path, tenant: 't1', partition: 0, blockId, traces, offsetRange: { first: 0n, last: 0n }, clock: fixedClock(), options: { rowGroupRows: 500 } })
    const reader = await openBlock(join(dir.path, blockId))
    try {
      assert.equal(await reader.findTrace(Buffer.alloc(16, 0xee)), null)
      assert.equal(await reader.findTrace(Buffer.alloc(8)), null)
      const all = flattenTraces(traces)
      const mid = meta.spanStartTimeUnixNano + (meta.spanEndTimeUnixNano - meta.spanStartTimeUnixNano) / 2n
      const window = { startUnixNano: mid, endUnixNano: mid + 50_000_000n }
      const expected = all.filter((r) => r.span.endTimeUnixNano >= window.startUnixNano && r.span.startTimeUnixNano <= window.endUnixNano).length
      let n = 0
      for await (const _ of reader.spans(window)) n++
      assert.equal(n, expected)
      assert.ok(n > 0 && n < all.length)
      const svc = 'frontend'
      const svcCount = all.filter((r) => r.resource?.attributes.some((kv) => kv.key === 'service.name' && kv.value.kind === 'string' && kv.value.value === svc)).length
      let m = 0
      for await (const _ of reader.spans({ serviceName: svc })) m++
      assert.equal(m, svcCount)
    } finally {
      await reader.close()
    }
  })
})

describe('block meta', () => {
  let metaDir: ReturnType<typeof tempDir>
  before(() => { metaDir = tempDir() })
  after(() => metaDir.remove())

  it('records ids, counts, time and offset ranges, and sizes', async () => {
    const traces = [generateTraces({ seed: 5, traces: 30, now: 1_763_700_000_000 })]
    const spans = flattenTraces(traces)
    const meta = await writeBlock({ dir: metaDir.path, tenant: 'acme', partition: 7, blockId: 'blk', traces, offsetRange: { first: 100n, last: (1n << 60n) }, timeRange: { startUnixNano: 5n, endUnixNano: 6n }, clock: fixedClock(42) })
    assert.equal(meta.tenant, 'acme')
    assert.equal(meta.partition, 7)
    assert.equal(meta.traceCount, 30)
    assert.equal(meta.spanCount, spans.length)
    assert.equal(meta.createdAtMs, 42)
    assert.deepStrictEqual(meta.offsetRange, { first: 100n, last: 1n << 60n })
    assert.equal(meta.startTimeUnixNano, 5n)
    assert.equal(meta.spanStartTimeUnixNano, spans.reduce((m, r) => r.span.startTimeUnixNano < m ? r.span.startTimeUnixNano : m, spans[0]!.span.startTimeUnixNano))
    const reader = await openBlock(join(metaDir.path, 'blk'))
    assert.deepStrictEqual(reader.meta, meta)
    await reader.close()
    await assert.rejects(writeBlock({ dir: metaDir.path, tenant: 'acme', partition: 7, blockId: 'blk', traces, offsetRange: { first: 0n, last: 0n }, clock: fixedClock() }), /already exists/)
    await assert.rejects(writeBlock({ dir: metaDir.path, tenant: 'acme', partition: 7, blockId: '../x', traces, offsetRange: { first: 0n, last: 0n }, clock: fixedClock() }), /invalid block id/)
  })
})
