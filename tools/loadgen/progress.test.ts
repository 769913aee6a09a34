import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LoadGenProgress, LoadGenSummary } from './loadgen.ts'
import { createProgress, formatSummary, progressLine } from './progress.ts'

function progress (spansSent: number, elapsedMs: number): LoadGenProgress {
  return { elapsedMs, requests: spansSent / 100, spansSent, spansAccepted: spansSent, spansRejected: 0, spansFailed: 0, errors: 1, spansPerSecond: spansSent / elapsedMs * 1000, targetRate: 2000, fraction: elapsedMs / 10_000 }
}

function collector (isTTY: boolean): { stream: { write(s: string): boolean, isTTY: boolean, columns: number }, out: string[] } {
  const out: string[] = []
  return { stream: { write: (s: string) => out.push(s) > 0, isTTY, columns: 80 }, out }
}

describe('progress', () => {
  it('draws one bar line', () => {
    assert.equal(progressLine(progress(9000, 4500), 10), '[####------]  45%  9,000 spans  2,000/s (target 2,000)  0 rejected  1 errors')
  })

  it('redraws in place on a TTY, at most every redrawMs, and ends the line', () => {
    let now = 0
    const { stream, out } = collector(true)
    const p = createProgress({ stream, now: () => now })
    p.update(progress(100, 50))
    now = 50
    p.update(progress(200, 100))
    now = 150
    p.update(progress(300, 150))
    p.finish()
    assert.equal(out.length, 3)
    assert.ok(out.slice(0, 2).every((s) => s.startsWith('\r\x1b[2K[') && !s.includes('\n')))
    assert.match(out[1] ?? '', / 300 spans/)
    assert.equal(out[2], '\n')
  })

  it('writes plain lines every intervalMs when not a TTY, and the last state at the end', () => {
    let now = 0
    const { stream, out } = collector(false)
    const p = createProgress({ stream, now: () => now, intervalMs: 1000 })
    for (let i = 1; i <= 25; i++) {
      now = i * 100
      p.update(progress(i * 100, now))
    }
    p.finish()
    assert.deepStrictEqual(out.map((l) => l.split(' ')[1]), ['0.1s', '1.1s', '2.1s', '2.5s'])
    assert.ok(out.every((l) => l.startsWith('loadgen: ') && l.endsWith('\n') && !l.includes('\x1b')))
  })

  it('summarises a run', () => {
    const s: LoadGenSummary = {
      requests: 12, batches: 10, retries: 2, spansSent: 1000, tracesSent: 50, spansAccepted: 990, spansRejected: 10, spansFailed: 0, partialBatches: 1, bytesSent: 123456,
      errorsByStatus: { 503: 2 }, rejectMessages: ['too old'], elapsedMs: 1000, spansPerSecond: 1000, latencyMs: { p50: 1.5, p99: 9.25, max: 12 }, sampleTraceIds: ['ab'],
    }
    const text = formatSummary(s)
    assert.match(text, /1,000 spans in 50 traces, 10 requests \(12 attempts, 2 retries\)/)
    assert.match(text, /errors +503×2/)
    assert.match(text, /accepted +990 spans; rejected 10 \(in 1 request\); failed 0/)
    assert.match(text, /traces +ab\n$/)
  })
})
