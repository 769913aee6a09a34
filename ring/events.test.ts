import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RingEvents } from './events.ts'

describe('ring events', () => {
  it('delivers typed details until unsubscribed', () => {
    const e = new RingEvents()
    const seen: number[] = []
    const off = e.on('partition:assigned', (d) => { seen.push(d.partition) })
    e.emit('partition:assigned', { partition: 1 })
    off()
    off()
    e.emit('partition:assigned', { partition: 2 })
    assert.deepEqual(seen, [1])
    assert.equal(e.listenerCount('partition:assigned'), 0)
  })

  it('a throwing handler neither stops the others nor the emitter', () => {
    const errors: unknown[] = []
    const e = new RingEvents({ onError: (err) => errors.push(err) })
    const seen: string[] = []
    e.on('partition:revoked', () => { throw new Error('boom') })
    e.on('partition:revoked', (d) => { seen.push(d.reason) })
    e.emit('partition:revoked', { partition: 0, reason: 'stopping' })
    assert.deepEqual(seen, ['stopping'])
    assert.equal(errors.length, 1)
  })

  it('once resolves with the first matching event and can be aborted', async () => {
    const e = new RingEvents()
    const next = e.once('partition:assigned', (d) => d.partition === 3)
    e.emit('partition:assigned', { partition: 1 })
    e.emit('partition:assigned', { partition: 3 })
    assert.deepEqual(await next, { partition: 3 })
    assert.equal(e.listenerCount('partition:assigned'), 0)
    const ac = new AbortController()
    const never = e.once('member:suspect', undefined, ac.signal)
    ac.abort(new Error('gave up'))
    await assert.rejects(never, /gave up/)
    assert.equal(e.listenerCount('member:suspect'), 0)
  })
})
