import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pino from 'pino'
import type { CatchUp } from '../ingest/partition-reader.ts'
import { ManualClock } from '../test/fakes/clock.ts'
import { watchCatchUp } from './catch-up.ts'
import { NodeReadiness } from './readiness.ts'

function setup (progress: CatchUp) {
  const clock = new ManualClock()
  const readiness = new NodeReadiness()
  const p = { ...progress }
  const timer = watchCatchUp({ readiness, progress: () => p, targetLagMs: 2000, maxWaitMs: 60_000, clock, logger: pino({ level: 'silent' }) })
  return { clock, readiness, p, timer }
}

describe('watchCatchUp', () => {
  it('is ready at once when there is nothing to replay', () => {
    const { readiness, clock } = setup({ done: true, replayed: 0, remaining: 0, lastRecordLagMs: undefined })
    assert.equal(readiness.state(), 'ready')
    assert.equal(clock.pendingTimers, 0)
  })

  it('says catching-up with the records behind until the replay reaches the log end', () => {
    const { readiness, clock, p } = setup({ done: false, replayed: 0, remaining: 5000, lastRecordLagMs: 600_000 })
    assert.equal(readiness.state(), 'catching-up')
    assert.equal(readiness.reason(), 'live-store is catching up: 5000 records behind')
    p.remaining = 10
    p.lastRecordLagMs = 300_000
    clock.advance(1000)
    assert.equal(readiness.reason(), 'live-store is catching up: 10 records behind')
    p.done = true
    p.remaining = 0
    clock.advance(1000)
    assert.equal(readiness.state(), 'ready')
    assert.equal(clock.pendingTimers, 0)
  })

  it('is ready once the record-time lag is within readiness_target_lag', () => {
    const { readiness, clock, p } = setup({ done: false, replayed: 0, remaining: 100, lastRecordLagMs: 10_000 })
    p.lastRecordLagMs = 1500
    clock.advance(1000)
    assert.equal(readiness.state(), 'ready')
  })

  it('gives up waiting after readiness_max_wait', () => {
    const { readiness, clock } = setup({ done: false, replayed: 0, remaining: 100, lastRecordLagMs: undefined })
    clock.advance(59_000)
    assert.equal(readiness.state(), 'catching-up')
    clock.advance(1000)
    assert.equal(readiness.state(), 'ready')
  })
})
