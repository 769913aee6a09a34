import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { formatAckLines, openAckLog, parseAckLog } from './ack-log.ts'

const span = (t: number, s: number): { traceId: Buffer, spanId: Buffer } => ({ traceId: Buffer.alloc(16, t), spanId: Buffer.alloc(8, s) })

describe('ack log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'livestore-ack-log-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('writes one hex line per span and reads back only whole, well-formed lines', () => {
    const text = formatAckLines([span(1, 2), span(1, 3)])
    assert.equal(text, `${'01'.repeat(16)} ${'02'.repeat(8)}\n${'01'.repeat(16)} ${'03'.repeat(8)}\n`)
    const torn = text + 'garbage\n' + `${'04'.repeat(16)} 0404`
    assert.deepStrictEqual(parseAckLog(torn), {
      spans: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8) }, { traceId: '01'.repeat(16), spanId: '03'.repeat(8) }],
      bad: 1,
    })
    assert.deepStrictEqual(parseAckLog(''), { spans: [], bad: 0 })
  })

  it('appends to an existing file and has everything on disk once closed', async () => {
    const path = join(dir, 'acks.log')
    const first = openAckLog(path)
    first.append([span(5, 6)])
    first.append([])
    await first.close()
    const second = openAckLog(path)
    second.append([span(7, 8), span(7, 9)])
    await second.close()
    assert.deepStrictEqual(parseAckLog(readFileSync(path, 'utf8')).spans.map((s) => s.spanId), ['06'.repeat(8), '08'.repeat(8), '09'.repeat(8)])
  })

  it('fails at once on a path it cannot open', () => {
    assert.throws(() => openAckLog(join(dir, 'missing', 'acks.log')), /ENOENT/)
  })
})
