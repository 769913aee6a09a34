import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { mergeBounded } from './search-merge.ts'

/** A source of `n` items that records how many sources run at once and whether it was closed. */
function sources (count: number, n: number) {
  const state = { running: 0, maxRunning: 0, closed: [] as number[], started: [] as number[] }
  const make = (i: number) => async function * (): AsyncGenerator<string> {
    state.started.push(i)
    state.running++
    state.maxRunning = Math.max(state.maxRunning, state.running)
    try {
      for (let k = 0; k < n; k++) {
        await tick()
        yield `${i}.${k}`
      }
    } finally {
      state.running--
      state.closed.push(i)
    }
  }
  return { state, list: Array.from({ length: count }, (_, i) => make(i)) }
}

describe('mergeBounded', () => {
  it('yields every item, runs at most `concurrency` sources, starts them in order, reports each done', async () => {
    const { state, list } = sources(5, 3)
    const done: number[] = []
    const items: string[] = []
    for await (const x of mergeBounded(list, 2, undefined, (i) => done.push(i))) items.push(x)
    assert.equal(items.length, 15)
    assert.equal(state.maxRunning, 2)
    assert.deepEqual(state.started, [0, 1, 2, 3, 4])
    assert.deepEqual(done.sort(), [0, 1, 2, 3, 4])
  })

  it('closes the running sources when the consumer stops early', async () => {
    const { state, list } = sources(4, 100)
    let n = 0
    for await (const _ of mergeBounded(list, 2)) if (++n === 3) break
    assert.equal(state.running, 0)
    assert.deepEqual(state.started, [0, 1])
    assert.deepEqual(state.closed.sort(), [0, 1])
  })

  it('rejects with the signal\'s reason, and with a source\'s error, closing the rest', async () => {
    const ctrl = new AbortController()
    const { state, list } = sources(3, 1000)
    const it = mergeBounded(list, 3, ctrl.signal)
    await it.next()
    ctrl.abort(new Error('stop now'))
    await assert.rejects(async () => { for await (const _ of it); }, /stop now/)
    assert.equal(state.running, 0)
    const failing = [async function * (): AsyncGenerator<number> { yield 1; throw new Error('disk') }, async function * (): AsyncGenerator<number> { for (;;) { await tick(); yield 2 } }]
    await assert.rejects(async () => { for await (const _ of mergeBounded(failing, 2)); }, /disk/)
  })
})
