import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SerialQueue } from './serial-queue.ts'

describe('serial queue', () => {
  it('runs read-modify-write tasks one at a time, in order, even across awaits', async () => {
    const q = new SerialQueue()
    let value = 0
    const bump = (): Promise<number> => q.run(async () => {
      const read = value
      await new Promise<void>((resolve) => setImmediate(resolve))
      value = read + 1
      return value
    })
    assert.deepEqual(await Promise.all([bump(), bump(), bump()]), [1, 2, 3])
    assert.equal(value, 3)
  })

  it('a failing task rejects only its own promise', async () => {
    const q = new SerialQueue()
    const failed = q.run(() => { throw new Error('no') })
    const after = q.run(() => 'yes')
    await assert.rejects(failed, /no/)
    assert.equal(await after, 'yes')
    await q.idle()
    assert.equal(q.pending, 0)
  })
})
