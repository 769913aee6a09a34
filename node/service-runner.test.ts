import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pino } from 'pino'
import { ServiceBase } from '../common/service.ts'
import { ServiceRunner } from './service-runner.ts'

const silent = pino({ level: 'silent' })

class Recorder extends ServiceBase {
  constructor (readonly name: string, readonly log: string[], readonly fail: { start?: boolean, stop?: boolean } = {}) { super() }
  protected async doStart (): Promise<void> {
    this.log.push(`start ${this.name}`)
    if (this.fail.start === true) throw new Error(`${this.name} cannot start`)
  }

  protected async doStop (): Promise<void> {
    this.log.push(`stop ${this.name}`)
    if (this.fail.stop === true) throw new Error(`${this.name} cannot stop`)
  }
}

describe('ServiceRunner', () => {
  it('starts in order and stops in reverse', async () => {
    const log: string[] = []
    const runner = new ServiceRunner([new Recorder('a', log), new Recorder('b', log)], silent)
    await runner.start(new AbortController().signal)
    await runner.stop()
    assert.deepEqual(log, ['start a', 'start b', 'stop b', 'stop a'])
  })

  it('stops the started services when one fails to start', async () => {
    const log: string[] = []
    const runner = new ServiceRunner([new Recorder('a', log), new Recorder('b', log, { start: true }), new Recorder('c', log)], silent)
    await assert.rejects(runner.start(new AbortController().signal), /b cannot start/)
    assert.deepEqual(log, ['start a', 'start b', 'stop b', 'stop a'])
  })

  it('never bails out of stop halfway and reports every failure', async () => {
    const log: string[] = []
    const runner = new ServiceRunner([new Recorder('a', log, { stop: true }), new Recorder('b', log), new Recorder('c', log, { stop: true })], silent)
    await runner.start(new AbortController().signal)
    const err = await runner.stop().then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof AggregateError)
    assert.equal(err.errors.length, 2)
    assert.deepEqual(log.slice(3), ['stop c', 'stop b', 'stop a'])
  })
})

describe('ServiceBase', () => {
  it('is idempotent: start twice, stop twice, stop before start', async () => {
    const log: string[] = []
    const never = new Recorder('n', log)
    await never.stop()
    assert.equal(never.state, 'stopped')
    const s = new Recorder('s', log)
    const signal = new AbortController().signal
    await Promise.all([s.start(signal), s.start(signal)])
    assert.equal(s.state, 'running')
    await Promise.all([s.stop(), s.stop()])
    assert.equal(s.state, 'stopped')
    assert.deepEqual(log, ['start s', 'stop s'])
  })

  it('refuses to start when the signal is already aborted', async () => {
    const c = new AbortController()
    c.abort(new Error('shutting down'))
    const s = new Recorder('s', [])
    await assert.rejects(s.start(c.signal), /shutting down/)
    assert.equal(s.state, 'failed')
  })
})
