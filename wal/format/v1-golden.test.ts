import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { decodeTracesProto } from '../../common/otlp/index.ts'
import { openBlock } from '../block-reader.ts'
import { canonical } from '../testing/compare.ts'
import { FIXTURE_BLOCK_ID, writeFixture } from './v1-fixture.ts'

const FIXTURES = new URL('./fixtures/v1/', import.meta.url).pathname

describe('block format v1 golden fixture', () => {
  it('is still read exactly as written', async () => {
    if (!existsSync(join(FIXTURES, FIXTURE_BLOCK_ID)) && process.env.WAL_WRITE_FIXTURES === '1') await writeFixture(FIXTURES)
    const expected = decodeTracesProto(readFileSync(join(FIXTURES, 'expected.binpb')))
    const reader = await openBlock(join(FIXTURES, FIXTURE_BLOCK_ID), { verifyData: true })
    try {
      assert.equal(reader.meta.formatVersion, 1)
      assert.equal(reader.meta.tenant, 'fixture-tenant')
      assert.equal(reader.meta.partition, 2)
      assert.equal(reader.meta.traceCount, 2)
      assert.equal(reader.meta.spanCount, 3)
      assert.deepStrictEqual(reader.meta.offsetRange, { first: 1000n, last: 1010n })
      assert.equal(reader.meta.spanEndTimeUnixNano, (1n << 64n) - 1n)
      const found = []
      for (const hex of ['0af7651916cd43dd8448eb211c80319c', 'ffffffffffffffffffffffffffffff01']) {
        const t = await reader.findTrace(Buffer.from(hex, 'hex'))
        assert.ok(t !== null)
        found.push(t)
      }
      assert.deepStrictEqual(canonical(found), canonical([expected]))
    } finally {
      await reader.close()
    }
  })
})
