import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GroupCommit } from './group-commit.ts'

/** A sync whose completions the test controls. */
function manualSync (): { sync: () => Promise<void>, calls: number, finish: (err?: Error) => void } {
  const pending: { resolve: () => void, reject: (e: Error) => void }[] = []
  const s = {
    calls: 0,
    sync: () => new Promise<void>((resolve, reject) => { s.calls++; pending.push({ resolve, reject }) }),
    finish: (err?: Error) => {
      const p = pending.shift()
      assert.ok(p !== undefined, 'no sync running')
      if (err === undefined) p.resolve(); else p.reject(err)
    },
  }
  return s
}

const tick = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve) })

describe('GroupCommit', () => {
  it('covers every write made while a sync ran with one more sync', async () => {
    const s = manualSync()
    const gc = new GroupCommit(() => s.sync())
    const done: number[] = []
    const first = gc.waitFor(gc.wrote()).then(() => { done.push(1) })
    const rest = Array.from({ length: 10 }, (_, i) => gc.waitFor(gc.wrote()).then(() => { done.push(i + 2) }))
    assert.equal(s.calls, 1)
    s.finish()
    await first
    await tick()
    assert.deepEqual(done, [1])
    assert.equal(s.calls, 2)
    s.finish()
    await Promise.all(rest)
    assert.equal(done.length, 11)
    assert.equal(gc.dirty, false)
    await gc.waitFor(3) // already covered: no new sync
    assert.equal(s.calls, 2)
  })

  it('fails the writers a failed sync covered and retries for later ones', async () => {
    const s = manualSync()
    const gc = new GroupCommit(() => s.sync())
    const a = gc.waitFor(gc.wrote())
    const b = gc.waitFor(gc.wrote())
    s.finish(new Error('EIO'))
    await assert.rejects(a, /EIO/)
    await tick()
    s.finish()
    await b
    assert.equal(s.calls, 2)
  })

  it('idle resolves once no sync is running', async () => {
    const s = manualSync()
    const gc = new GroupCommit(() => s.sync())
    await gc.idle()
    gc.wrote()
    const w = gc.flush()
    let idle = false
    const i = gc.idle().then(() => { idle = true })
    await tick()
    assert.equal(idle, false)
    s.finish()
    await w
    await i
    assert.equal(idle, true)
  })
})
