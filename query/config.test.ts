import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultsOf } from '../common/config-schema.ts'
import { querySchema, resolvePreferredZone, validateQueryConfig } from './config.ts'

describe('query config', () => {
  it('defaults: own zone first, hedge after 100ms, 10s trace-by-id and 30s search deadlines (Tempo), 20 searches at once, missing partitions fail', () => {
    assert.deepEqual(defaultsOf(querySchema).query, {
      preferred_zone: '', hedge_after: 100, trace_by_id_timeout: 10_000, partial_results: false, search_timeout: 30_000, max_concurrent_searches: 20,
    })
    assert.deepEqual(validateQueryConfig(defaultsOf(querySchema)), [])
  })

  it('an empty preferred zone means the node\'s own zone', () => {
    const c = defaultsOf(querySchema).query
    assert.equal(resolvePreferredZone(c, 'zone-a'), 'zone-a')
    assert.equal(resolvePreferredZone({ ...c, preferred_zone: 'zone-b' }, 'zone-a'), 'zone-b')
  })

  it('refuses a hedge delay that is not shorter than the deadline', () => {
    const c = defaultsOf(querySchema)
    const issues = validateQueryConfig({ ...c, query: { ...c.query, hedge_after: 10_000 } }, '')
    assert.deepEqual(issues.map((i) => i.key), ['.query.hedge_after'])
    assert.match(issues[0]?.message ?? '', /must be shorter than query.trace_by_id_timeout \(10s\)/)
  })

  it('refuses a hedge delay that is not shorter than the search deadline', () => {
    const c = defaultsOf(querySchema)
    const issues = validateQueryConfig({ ...c, query: { ...c.query, search_timeout: 100 } }, '')
    assert.deepEqual(issues.map((i) => i.key), ['.query.hedge_after'])
    assert.match(issues[0]?.message ?? '', /must be shorter than query.search_timeout \(100ms\)/)
  })
})
