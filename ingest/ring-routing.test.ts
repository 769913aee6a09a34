import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { httpStatusOf, UnavailableError } from '../common/errors.ts'
// The real token derivation (the node injects the same function); only the test imports ring/.
import { partitionTokens } from '../ring/tokens.ts'
import { PartitionRouter, RingRouting, traceToken } from './ring-routing.ts'

/** Seeded trace ids (splitmix32), so every run routes the same ids. */
function traceIds (n: number, seed = 1): Buffer[] {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  return Array.from({ length: n }, () => {
    const b = Buffer.alloc(16)
    for (let i = 0; i < 16; i += 4) b.writeUInt32BE(next(), i)
    return b
  })
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const router = (active: number[]): PartitionRouter => new PartitionRouter(active, (p) => partitionTokens(p))
const ids = traceIds(100_000)

describe('traceToken', () => {
  it('is FNV-1 32-bit (Go fnv.New32, Tempo util.TokenFor) of tenant ‖ trace id', () => {
    // Published FNV-1 vectors; FNV-1a would give 0xe40c292c and 0xbf9cf968.
    assert.equal(traceToken('', Buffer.alloc(0)), 0x811c9dc5)
    assert.equal(traceToken('a', Buffer.alloc(0)), 0x050c5d7e)
    assert.equal(traceToken('foo', Buffer.from('bar')), 0x31f0b262)
    assert.equal(traceToken('', Buffer.from('foobar')), 0x31f0b262)
  })

  it('hashes the tenant as UTF-8', () => {
    assert.equal(traceToken('é', Buffer.alloc(0)), traceToken('', Buffer.from('é', 'utf8')))
  })
})

describe('PartitionRouter', () => {
  for (const p of [3, 8]) {
    it(`spreads 100k traces evenly over ${p} partitions`, () => {
      const r = router(range(p))
      const counts = new Array<number>(p).fill(0)
      for (const id of ids) counts[r.partitionFor('single-tenant', id)]!++
      const expected = ids.length / p
      // 512 tokens per partition own ~1/P of the ring each (±~4%, ring/tokens.ts).
      for (const c of counts) assert.ok(Math.abs(c - expected) / expected < 0.1, `counts ${counts.join(',')}`)
    })

    it(`moves only ~1/${p + 1} of the traces, all to the new partition, when partition ${p} turns active`, () => {
      const before = router(range(p))
      const after = router(range(p + 1))
      let moved = 0
      for (const id of ids) {
        const a = before.partitionFor('t', id)
        const b = after.partitionFor('t', id)
        if (a === b) continue
        moved++
        assert.equal(b, p, 'a trace only moves to the partition that was added')
      }
      const share = moved / ids.length
      assert.ok(Math.abs(share - 1 / (p + 1)) < 0.02, `moved ${share}`)
    })
  }

  it('never returns a partition that is not active', () => {
    const active = [2, 5, 11]
    const r = router(active)
    const seen = new Set(ids.slice(0, 20_000).map((id) => r.partitionFor('t', id)))
    assert.deepEqual([...seen].sort((a, b) => a - b), active)
  })

  it('is deterministic: same active set (in any order, with repeats) → same partition', () => {
    const a = router([0, 1, 2, 3])
    const b = router([3, 1, 2, 0, 1])
    assert.deepEqual(b.partitions, [0, 1, 2, 3])
    for (const id of ids.slice(0, 5000)) assert.equal(a.partitionFor('x', id), b.partitionFor('x', id))
  })

  it('depends on the tenant (tenants do not pile onto one partition)', () => {
    const r = router(range(8))
    const differs = ids.slice(0, 200).filter((id) => r.partitionFor('a', id) !== r.partitionFor('b', id)).length
    assert.ok(differs > 120, `${differs}`)
  })

  it('takes the first token strictly greater than the trace token, wrapping around (dskit searchToken)', () => {
    const r = new PartitionRouter([1, 2], (p) => p === 1 ? [100, 300] : [200])
    assert.equal(r.partitionForToken(0), 1)
    assert.equal(r.partitionForToken(99), 1)
    assert.equal(r.partitionForToken(100), 2)
    assert.equal(r.partitionForToken(250), 1)
    assert.equal(r.partitionForToken(300), 1, 'past the last token: the first one')
    assert.equal(r.partitionForToken(0xffffffff), 1)
  })

  it('gives a token drawn by two partitions to the lower id', () => {
    const r = new PartitionRouter([7, 3], (p) => p === 7 ? [500, 900] : [500])
    assert.equal(r.partitionForToken(499), 3)
    assert.equal(r.partitionForToken(500), 7)
  })

  it('refuses with a 503 when no partition is active', () => {
    const r = router([])
    assert.throws(() => r.partitionFor('t', ids[0]!), (err: unknown) => err instanceof UnavailableError && /no active partition in the ring/.test(err.message) && httpStatusOf(err) === 503)
  })
})

describe('RingRouting', () => {
  it('rebuilds the router only when the active set changes', () => {
    let active = [0, 1]
    let built = 0
    const routing = new RingRouting({ activePartitions: () => active, tokensOf: (p) => { built++; return partitionTokens(p) } })
    const first = routing.current()
    assert.equal(routing.current(), first)
    active = [1, 0]
    assert.equal(routing.current(), first, 'same set in another order')
    assert.equal(built, 2)
    active = [0, 1, 2]
    const second = routing.current()
    assert.notEqual(second, first)
    assert.deepEqual(second.partitions, [0, 1, 2])
    assert.equal(built, 5)
  })

  it('route() routes like the current router', () => {
    const routing = new RingRouting({ activePartitions: () => [4, 6], tokensOf: (p) => partitionTokens(p) })
    const route = routing.route()
    for (const id of ids.slice(0, 1000)) assert.equal(route('t', id), routing.current().partitionFor('t', id))
  })
})
