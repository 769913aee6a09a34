import assert from 'node:assert/strict'
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateTraces } from '../tools/index.ts'
import { openBlock } from './block-reader.ts'
import { writeBlock } from './block-writer.ts'
import { CorruptBlockError } from './errors.ts'
import { removeIncompleteBlocks } from './fs-atomic.ts'
import { fixedClock, tempDir } from './testing/tmp.ts'

const dir = tempDir()
let good: string
let n = 0

before(async () => {
  await writeBlock({ dir: dir.path, tenant: 't', partition: 0, blockId: 'good', traces: [generateTraces({ seed: 2, traces: 50, now: 1_763_700_000_000 })], offsetRange: { first: 0n, last: 1n }, clock: fixedClock() })
  good = join(dir.path, 'good')
})
after(() => dir.remove())

/** A copy of the good block, damaged by `damage`; opening it must fail naming `file`. */
async function expectCorrupt (file: string, damage: (block: string) => void, options = {}): Promise<void> {
  const block = join(dir.path, `bad${++n}`)
  cpSync(good, block, { recursive: true })
  damage(block)
  await assert.rejects(openBlock(block, options), (err: unknown) => {
    assert.ok(err instanceof CorruptBlockError, `got ${String(err)}`)
    assert.equal(err.path, join(block, file))
    assert.equal(err.retriable, false)
    return true
  })
}

describe('corrupt blocks', () => {
  it('opens the intact block', async () => {
    const r = await openBlock(good, { verifyData: true })
    assert.equal(r.traceCount, 50)
    await r.close()
  })

  it('truncated data.parquet', () => expectCorrupt('data.parquet', (b) => {
    const p = join(b, 'data.parquet')
    truncateSync(p, Math.floor(readFileSync(p).length / 2))
  }))

  it('data.parquet overwritten at its footer (same size)', () => expectCorrupt('data.parquet', (b) => {
    const p = join(b, 'data.parquet')
    const bytes = readFileSync(p)
    bytes.fill(0x55, bytes.length - 64)
    writeFileSync(p, bytes)
  }))

  it('data.parquet damaged mid-file, caught by verifyData', () => expectCorrupt('data.parquet', (b) => {
    const p = join(b, 'data.parquet')
    const bytes = readFileSync(p)
    const mid = bytes.length >> 1
    bytes[mid] = bytes[mid]! ^ 0xff
    writeFileSync(p, bytes)
  }, { verifyData: true }))

  it('garbage meta.json', () => expectCorrupt('meta.json', (b) => writeFileSync(join(b, 'meta.json'), '{"formatVersion": 1, garbage')))

  it('meta.json of another format version', () => expectCorrupt('meta.json', (b) => {
    const p = join(b, 'meta.json')
    writeFileSync(p, readFileSync(p, 'utf8').replace('"formatVersion": 1', '"formatVersion": 99'))
  }))

  it('meta.json missing a field', () => expectCorrupt('meta.json', (b) => {
    const p = join(b, 'meta.json')
    const m = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>
    delete m.spanCount
    writeFileSync(p, JSON.stringify(m))
  }))

  for (const file of ['meta.json', 'data.parquet', 'bloom', 'index']) {
    it(`missing ${file}`, () => expectCorrupt(file, (b) => rmSync(join(b, file))))
  }

  it('bloom with a flipped bit', () => expectCorrupt('bloom', (b) => {
    const p = join(b, 'bloom')
    const bytes = readFileSync(p)
    bytes[20] = bytes[20]! ^ 1
    writeFileSync(p, bytes)
  }))

  it('truncated index', () => expectCorrupt('index', (b) => truncateSync(join(b, 'index'), 10)))

  it('leftover temp directories of a crashed write are removed', async () => {
    cpSync(good, join(dir.path, '.tmp-crashed'), { recursive: true })
    assert.deepStrictEqual(await removeIncompleteBlocks(dir.path), ['.tmp-crashed'])
    assert.deepStrictEqual(await removeIncompleteBlocks(join(dir.path, 'nope')), [])
  })
})
