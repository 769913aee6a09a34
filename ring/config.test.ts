import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultsOf } from '../common/config-schema.ts'
import { ownedPartitions, ringSchema, validateRingConfig } from './config.ts'
import type { RingConfig } from './config.ts'

const base = (): RingConfig => defaultsOf(ringSchema)

describe('ring config', () => {
  it('has our defaults, with Tempo names', () => {
    const c = base()
    assert.equal(c.min_partition_owners_count, 1)
    assert.equal(c.min_partition_owners_duration, 10_000)
    assert.equal(c.delete_inactive_partition_after, 13 * 3_600_000)
    assert.equal(c.remove_owner_on_shutdown, true)
    assert.deepEqual([c.heartbeat_period, c.heartbeat_timeout, c.reconcile_period], [1000, 3000, 1000])
    assert.deepEqual([c.tombstone_horizon, c.max_clock_skew, c.anti_entropy_interval], [300_000, 30_000, 30_000])
    assert.deepEqual(validateRingConfig(c), [])
  })

  const cases: [string, (c: RingConfig) => void, string][] = [
    ['a partition that is not a number', (c) => { c.partitions = ['1', 'x'] }, 'ring.partitions[1]'],
    ['a partition above int32', (c) => { c.partitions = ['2147483648'] }, 'ring.partitions[0]'],
    ['a heartbeat timeout not above the period', (c) => { c.heartbeat_timeout = 1000 }, 'ring.heartbeat_timeout'],
    ['a tombstone horizon within one anti-entropy round', (c) => { c.tombstone_horizon = 30_000 }, 'ring.tombstone_horizon'],
    ['a departure horizon shorter than the tombstone horizon', (c) => { c.departure_horizon = 60_000 }, 'ring.departure_horizon'],
  ]
  for (const [name, modify, key] of cases) {
    it(`reports ${name}`, () => {
      const c = base()
      modify(c)
      assert.deepEqual(validateRingConfig(c).map((i) => i.key), [key])
    })
  }

  it('owns the listed partitions, else the -N suffix of the instance id', () => {
    assert.deepEqual(ownedPartitions({ partitions: ['2', '0', '2'], instance_id: 'x-7' }), [0, 2])
    assert.deepEqual(ownedPartitions({ partitions: [], instance_id: 'live-store-zone-a-3' }), [3])
    assert.deepEqual(ownedPartitions({ partitions: [], instance_id: 'solo' }), [])
  })
})
