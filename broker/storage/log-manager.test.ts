import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ManualClock } from '../../test/fakes/clock.ts'
import type { StorageConfig } from './config.ts'
import { InvalidPartitionsError, InvalidTopicError, TopicAlreadyExistsError, UnknownTopicError } from './errors.ts'
import { LogManager, TOPICS_FILE } from './log-manager.ts'
import { captureLogger, makeBatch, tempDir } from './test-helpers.ts'

describe('LogManager', () => {
  let tmp: ReturnType<typeof tempDir>
  const clock = new ManualClock()
  beforeEach(() => { tmp = tempDir() })
  afterEach(() => { tmp.cleanup() })

  const open = (config: Partial<StorageConfig> = {}): Promise<LogManager> =>
    LogManager.open({ dataDir: tmp.dir, clock, logger: captureLogger().logger, config: { fsync: 'never', ...config } })

  it('creates topics, persists them and reopens their partitions', async () => {
    const mgr = await open()
    assert.deepEqual(await mgr.createTopic('orders.v1', 3), { name: 'orders.v1', partitions: 3 })
    await mgr.createTopic('a', 1)
    await mgr.partition('orders.v1', 2)?.append([makeBatch({ records: 4 })], { durable: true })
    assert.equal(mgr.partition('orders.v1', 3), undefined)
    assert.equal(mgr.partition('missing', 0), undefined)
    assert.deepEqual(mgr.topic('a'), { name: 'a', partitions: 1 })
    assert.equal(mgr.topic('b'), undefined)
    await mgr.close()
    const file = JSON.parse(readFileSync(join(tmp.dir, TOPICS_FILE), 'utf8')) as { topics: unknown[] }
    assert.equal(file.topics.length, 2)
    const again = await open()
    assert.deepEqual(again.topics().map((t) => t.name).sort(), ['a', 'orders.v1'])
    assert.equal(again.partition('orders.v1', 2)?.logEndOffset, 4n)
    await again.close()
  })

  it('rejects bad names, bad partition counts and duplicates with typed errors', async () => {
    const mgr = await open()
    await mgr.createTopic('my_topic', 1)
    for (const bad of ['', '.', '..', 'a b', 'x/y', 'é', 'a'.repeat(250)]) {
      await assert.rejects(mgr.createTopic(bad, 1), InvalidTopicError, JSON.stringify(bad))
    }
    await mgr.createTopic('a'.repeat(249), 1)
    await assert.rejects(mgr.createTopic('my.topic', 1), InvalidTopicError) // collides with my_topic
    await assert.rejects(mgr.createTopic('my_topic', 1), TopicAlreadyExistsError)
    for (const n of [0, -1, 1.5, 100_000]) await assert.rejects(mgr.createTopic('p', n), InvalidPartitionsError)
    await assert.rejects(mgr.deleteTopic('nope'), UnknownTopicError)
    assert.equal(mgr.topics().length, 2)
    await mgr.close()
  })

  it('deletes a topic and its directories; a new topic of that name starts empty', async () => {
    const mgr = await open()
    await mgr.createTopic('t', 2)
    await mgr.partition('t', 0)?.append([makeBatch()], { durable: false })
    await mgr.deleteTopic('t')
    assert.equal(mgr.topic('t'), undefined)
    assert.equal(mgr.partition('t', 0), undefined)
    assert.ok(!existsSync(join(tmp.dir, 't-0')))
    await mgr.createTopic('t', 1)
    assert.equal(mgr.partition('t', 0)?.logEndOffset, 0n)
    await mgr.close()
  })

  it('removes partition directories not listed in topics.json on open', async () => {
    const mgr = await open()
    await mgr.createTopic('keep', 1)
    await mgr.close()
    mkdirSync(join(tmp.dir, 'gone-0'))
    writeFileSync(join(tmp.dir, 'gone-0', '00000000000000000000.log'), '')
    mkdirSync(join(tmp.dir, 'keep-1'))
    mkdirSync(join(tmp.dir, 'not a partition'))
    const again = await open()
    assert.ok(!existsSync(join(tmp.dir, 'gone-0')))
    assert.ok(!existsSync(join(tmp.dir, 'keep-1')))
    assert.ok(existsSync(join(tmp.dir, 'keep-0')))
    assert.ok(existsSync(join(tmp.dir, 'not a partition')))
    await again.close()
  })

  it('runs retention over every partition', async () => {
    const mgr = await open({ segmentBytes: 100, retentionMs: 1000 })
    await mgr.createTopic('t', 2)
    for (let p = 0; p < 2; p++) {
      const log = mgr.partition('t', p)
      for (let i = 0; i < 3; i++) await log?.append([makeBatch({ payloadBytes: 39, maxTimestamp: BigInt(clock.now()) })], { durable: false })
    }
    assert.equal(mgr.runRetention(), 0)
    clock.advance(2000)
    assert.equal(mgr.runRetention(), 4)
    assert.equal(mgr.partition('t', 1)?.logStartOffset, 2n)
    await mgr.close()
  })

  it('serializes concurrent creates of one name', async () => {
    const mgr = await open()
    const results = await Promise.allSettled([mgr.createTopic('x', 1), mgr.createTopic('x', 1)])
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
    await mgr.close()
  })
})
