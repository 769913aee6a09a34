import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NodeClock, Scheduler } from './scheduler.ts'

describe('Scheduler', () => {
  it('runs events in time order, ties in scheduling order, and lets promises settle between instants', async () => {
    const s = new Scheduler(1000)
    const seen: string[] = []
    s.at(20, () => seen.push('b'))
    s.at(10, () => { seen.push('a'); void Promise.resolve().then(() => seen.push('a-then')) })
    s.at(20, () => seen.push('c'))
    s.at(30, () => seen.push('d')).cancel()
    await s.run(25)
    assert.deepEqual(seen, ['a', 'a-then', 'b', 'c'])
    assert.equal(s.now(), 1025)
    assert.equal(s.pending, 0)
  })

  it('until moves time only while the promise is pending', async () => {
    const s = new Scheduler(0)
    const clock = new NodeClock(s)
    assert.equal(await s.until(Promise.resolve(7)), 7)
    assert.equal(s.now(), 0)
    await s.until(clock.sleep(95))
    assert.ok(s.now() >= 95 && s.now() <= 100)
  })

  it('stops at the first event that throws and rethrows it', async () => {
    const s = new Scheduler(0)
    s.at(5, () => { throw new Error('boom') })
    await assert.rejects(s.run(10), /boom/)
  })
})

describe('NodeClock', () => {
  it('reads true time plus its skew in whole ms, but fires timers on true time', async () => {
    const s = new Scheduler(1_000_000)
    const skewed = new NodeClock(s, 30_000.7)
    assert.equal(skewed.now(), 1_030_000)
    const fired: number[] = []
    skewed.setTimeout(() => fired.push(s.now()), 50)
    const every = skewed.setInterval(() => fired.push(s.now()), 40)
    await s.run(100)
    every.cancel()
    await s.run(100)
    assert.deepEqual(fired, [1_000_040, 1_000_050, 1_000_080])
  })

  it('a killed clock fires nothing, now or later', async () => {
    const s = new Scheduler(0)
    const c = new NodeClock(s)
    let fired = 0
    c.setInterval(() => fired++, 10)
    c.setTimeout(() => fired++, 5)
    c.kill()
    c.setTimeout(() => fired++, 5)
    await s.run(100)
    assert.equal(fired, 0)
    assert.equal(c.pendingTimers, 0)
  })
})
