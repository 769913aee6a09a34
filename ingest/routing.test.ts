import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { partitionForTrace } from './routing.ts'

describe('partitionForTrace', () => {
  const id = (n: number): Buffer => { const b = Buffer.alloc(16); b.writeUInt32BE(n, 12); b.writeUInt32BE(n * 2654435761 >>> 0, 0); return b }

  it('is stable: the same tenant and trace always land on the same partition', () => {
    for (let i = 0; i < 100; i++) assert.equal(partitionForTrace('t', id(i), 8), partitionForTrace('t', Buffer.from(id(i)), 8))
  })

  it('spreads traces evenly over the partitions', () => {
    const counts = new Array<number>(8).fill(0)
    for (let i = 0; i < 80_000; i++) counts[partitionForTrace('single-tenant', id(i), 8)]!++
    for (const c of counts) assert.ok(c > 9000 && c < 11_000, `partition counts ${counts.join(',')}`)
  })

  it('depends on the tenant too (tenants do not pile onto one partition)', () => {
    const differs = Array.from({ length: 50 }, (_, i) => partitionForTrace('a', id(i), 16) !== partitionForTrace('b', id(i), 16)).filter(Boolean).length
    assert.ok(differs > 30)
  })
})
