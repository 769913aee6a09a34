import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../common/errors.ts'
import { resolveStorageConfig, storageDefaults, validateStorageConfig } from './config.ts'

describe('storage config', () => {
  it('has valid defaults', () => {
    assert.deepEqual(validateStorageConfig(storageDefaults()), [])
    assert.equal(storageDefaults().segmentBytes, 1 << 30)
    assert.deepEqual(resolveStorageConfig({ fsync: 'never' }), { ...storageDefaults(), fsync: 'never' })
  })

  it('lists every invalid field', () => {
    const issues = validateStorageConfig({ ...storageDefaults(), segmentBytes: 2 ** 31, retentionMs: 0, retentionBytes: -1, fsync: 'sometimes' as never, fsyncIntervalMs: 1.5 })
    assert.deepEqual(issues.map((i) => i.key), ['segmentBytes', 'retentionMs', 'fsync', 'fsyncIntervalMs'])
    assert.throws(() => resolveStorageConfig({ indexIntervalBytes: 0 }), ConfigError)
  })
})
