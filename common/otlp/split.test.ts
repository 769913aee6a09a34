import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ResourceSpans, TracesData } from './model.ts'
import { countSpans, mergeTraces, splitByTrace } from './split.ts'
import { span } from './testing/model-fixture.ts'

const T1 = Buffer.alloc(16, 1)
const T2 = Buffer.alloc(16, 2)
const sp = (trace: Buffer, id: number): ReturnType<typeof span> => span({ traceId: trace, spanId: Buffer.alloc(8, id) })
const resource = (name: string): NonNullable<ResourceSpans['resource']> => ({ attributes: [{ key: 'service.name', value: { kind: 'string', value: name } }], droppedAttributesCount: 0 })
const scope = (name: string): { name: string, version: string, attributes: [], droppedAttributesCount: number } => ({ name, version: '', attributes: [], droppedAttributesCount: 0 })

describe('splitByTrace / mergeTraces / countSpans', () => {
  const rA = resource('a')
  const rB = resource('b')
  const s1 = scope('s1')
  const s2 = scope('s2')
  const data: TracesData = {
    resourceSpans: [
      { resource: rA, scopeSpans: [{ scope: s1, spans: [sp(T1, 1), sp(T2, 2), sp(T1, 3)], schemaUrl: 'u1' }, { scope: s2, spans: [sp(T2, 4)], schemaUrl: '' }], schemaUrl: 'ra' },
      { resource: rB, scopeSpans: [{ scope: s1, spans: [sp(T1, 5)], schemaUrl: '' }], schemaUrl: '' },
    ],
  }

  it('counts spans', () => {
    assert.equal(countSpans(data), 5)
    assert.equal(countSpans({ resourceSpans: [] }), 0)
  })

  it('splits by trace keeping each span under its original resource and scope (shared objects)', () => {
    const parts = splitByTrace(data)
    assert.deepStrictEqual([...parts.keys()], [T1.toString('hex'), T2.toString('hex')])
    const t1 = parts.get(T1.toString('hex'))!
    assert.equal(t1.resourceSpans.length, 2)
    assert.equal(t1.resourceSpans[0]!.resource, rA)
    assert.equal(t1.resourceSpans[0]!.schemaUrl, 'ra')
    assert.equal(t1.resourceSpans[0]!.scopeSpans.length, 1)
    assert.equal(t1.resourceSpans[0]!.scopeSpans[0]!.scope, s1)
    assert.equal(t1.resourceSpans[0]!.scopeSpans[0]!.schemaUrl, 'u1')
    assert.deepStrictEqual(t1.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.spanId[0]), [1, 3])
    assert.equal(t1.resourceSpans[1]!.resource, rB)
    assert.deepStrictEqual(t1.resourceSpans[1]!.scopeSpans[0]!.spans.map((s) => s.spanId[0]), [5])
    const t2 = parts.get(T2.toString('hex'))!
    assert.equal(t2.resourceSpans.length, 1)
    assert.deepStrictEqual(t2.resourceSpans[0]!.scopeSpans.map((ss) => [ss.scope, ss.spans.map((s) => s.spanId[0])]), [[s1, [2]], [s2, [4]]])
    assert.equal(countSpans(t1) + countSpans(t2), 5)
  })

  it('mergeTraces undoes a split and merges equal resources/scopes even when they are different objects', () => {
    const parts = [...splitByTrace(data).values()]
    const merged = mergeTraces(parts)
    assert.equal(countSpans(merged), 5)
    assert.equal(merged.resourceSpans.length, 2)
    assert.deepStrictEqual(merged.resourceSpans[0]!.scopeSpans.map((ss) => ss.spans.map((s) => s.spanId[0])), [[1, 3, 2], [4]])
    // Two records carrying copies of the same resource and scope collapse into one group.
    const copy = (): TracesData => ({ resourceSpans: [{ resource: resource('a'), scopeSpans: [{ scope: scope('s1'), spans: [sp(T1, 9)], schemaUrl: '' }], schemaUrl: '' }] })
    const m = mergeTraces([copy(), copy(), { resourceSpans: [{ resource: resource('z'), scopeSpans: [{ scope: null, spans: [sp(T1, 8)], schemaUrl: '' }], schemaUrl: '' }] }])
    assert.equal(m.resourceSpans.length, 2)
    assert.equal(m.resourceSpans[0]!.scopeSpans.length, 1)
    assert.equal(m.resourceSpans[0]!.scopeSpans[0]!.spans.length, 2)
    assert.equal(m.resourceSpans[1]!.scopeSpans[0]!.scope, null)
    // Different schema URLs or attribute values stay apart; inputs are not modified.
    const other = mergeTraces([data, { resourceSpans: [{ resource: resource('a'), scopeSpans: [], schemaUrl: 'other' }] }])
    assert.equal(other.resourceSpans.length, 3)
    assert.equal(countSpans(data), 5)
    assert.deepStrictEqual(mergeTraces([]), { resourceSpans: [] })
  })
})
