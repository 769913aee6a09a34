import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { batch, makeSpan, spansOf, tracesData } from '../../store/testing.ts'
import { combineTraces } from './combine.ts'

const at = (ns: bigint) => ({ startTimeUnixNano: ns })

describe('combineTraces', () => {
  it('returns null when no part has the trace', () => {
    assert.equal(combineTraces([]), null)
    assert.equal(combineTraces([null, null]), null)
  })

  it('sorts spans by start time then span id, and batches by their first span', () => {
    const late = batch('late', [makeSpan('a', '9', at(30n)), makeSpan('a', '8', at(20n))])
    const early = batch('early', [makeSpan('a', '2', at(10n)), makeSpan('a', '1', at(10n))])
    const out = combineTraces([tracesData(late, early)])
    assert.deepEqual(spansOf(out).map((s) => s.name), ['span-1', 'span-2', 'span-8', 'span-9'])
    assert.deepEqual(out?.resourceSpans.map((rs) => rs.resource?.attributes[0]?.value), [
      { kind: 'string', value: 'early' }, { kind: 'string', value: 'late' },
    ])
  })

  it('keeps each (span id, kind) once, in the first part too', () => {
    const a = tracesData(batch('a', [makeSpan('a', '1', at(1n)), makeSpan('a', '1', at(1n))]))
    const b = tracesData(batch('b', [makeSpan('a', '1', at(1n)), makeSpan('a', '1', { ...at(2n), kind: 3 }), makeSpan('a', '3', at(3n))]))
    const out = combineTraces([a, null, b])
    assert.deepEqual(spansOf(out).map((s) => [s.name, s.kind]), [['span-1', 2], ['span-1', 3], ['span-3', 2]])
  })

  it('does not reorder or mutate its inputs', () => {
    const input = tracesData(batch('x', [makeSpan('a', '2', at(2n)), makeSpan('a', '1', at(1n))]))
    combineTraces([input])
    assert.deepEqual(spansOf(input).map((s) => s.name), ['span-2', 'span-1'])
  })
})
