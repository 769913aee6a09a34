import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { seededRandom } from '../../common/random.ts'
import { ManualClock } from '../../test/fakes/clock.ts'
import { Redialer } from './redial.ts'

const logger = pino({ level: 'silent' })

function setup (succeedAt: number, random?: ReturnType<typeof seededRandom>): { clock: ManualClock, r: Redialer, dials: number[] } {
  const clock = new ManualClock(0)
  const dials: number[] = []
  const r = new Redialer(clock, { initialDelayMs: 100, maxDelayMs: 1_000 }, async () => {
    dials.push(clock.now())
    if (dials.length < succeedAt) throw new Error('connection refused')
  }, logger, random)
  return { clock, r, dials }
}

async function run (clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    clock.advance(10)
    await tick()
  }
}

describe('Redialer', () => {
  it('re-dials with exponential backoff capped at maxDelayMs until a dial succeeds', async () => {
    const { clock, r, dials } = setup(7)
    r.disconnected('p')
    r.disconnected('p') // already re-dialling: no second schedule
    await run(clock, 6_000)
    assert.deepEqual(dials, [100, 300, 700, 1500, 2500, 3500, 4500])
    assert.deepEqual(r.pending(), [])
    assert.equal(clock.pendingTimers, 0)
  })

  it('stops re-dialling when the peer connects by itself, and starts over at the initial delay', async () => {
    const { clock, r, dials } = setup(100)
    r.disconnected('p')
    await run(clock, 350)
    assert.deepEqual(dials, [100, 300])
    r.connected('p')
    await run(clock, 2_000)
    assert.equal(dials.length, 2)
    r.disconnected('p')
    await run(clock, 100)
    assert.deepEqual(dials.slice(2), [2_450])
    r.stop()
  })

  it('stop cancels every timer and nothing is scheduled afterwards', async () => {
    const { clock, r, dials } = setup(100)
    r.disconnected('p')
    r.disconnected('q')
    await run(clock, 150)
    r.stop()
    assert.equal(clock.pendingTimers, 0)
    r.disconnected('p')
    await run(clock, 2_000)
    assert.equal(dials.length, 2)
  })

  it('jitter keeps each delay within half to all of the backoff', async () => {
    const { clock, r, dials } = setup(5, seededRandom(42))
    r.disconnected('p')
    await run(clock, 3_000)
    const gaps = dials.map((t, i) => t - (dials[i - 1] ?? 0))
    gaps.forEach((gap, i) => {
      const base = r.delay(i)
      assert.ok(gap >= base / 2 - 10 && gap <= base + 10, `gap ${gap} for attempt ${i} (base ${base})`)
    })
    r.stop()
  })
})
