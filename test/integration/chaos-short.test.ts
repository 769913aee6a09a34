import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { verdictLine, writeChaosReport } from '../../simulations/chaos/report.ts'
import { defaultOptions, runChaos } from '../../simulations/chaos/run.ts'

/**
 * The short chaos run of issue 7 (the one CI runs): 2 zones × 2 nodes, 2 partitions, light load,
 * zone b SIGKILLed, restarted from its command lines and recovered, through the same runner as
 * `npm run chaos -- --short`. The verdict must pass: no failed query while zone a was up, every
 * acknowledged span readable at the end. The runner stops every process and removes its data
 * directory on any outcome; the report goes to a temporary directory.
 */
describe('chaos run, short version', { skip: process.platform === 'linux' ? false : 'needs Linux /proc to restart nodes with their own command lines' }, () => {
  it('keeps answering with a zone killed and loses no acknowledged span', { timeout: 150_000 }, async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'livestore-chaos-report-'))
    try {
      const result = await runChaos({ ...defaultOptions(true), durationS: 12, log: (line) => t.diagnostic(line) })
      writeChaosReport(result, out)
      t.diagnostic(`${verdictLine(result)}; ${result.queries.ok}/${result.queries.queries} probe queries ok, ${result.check.spans} spans checked, catch-up ${result.maxCatchUpMs} ms, ring healthy ${result.maxReconvergeMs} ms, ${result.seconds.toFixed(1)} s`)
      for (const f of result.queryFailures.slice(0, 5)) t.diagnostic(f)
      for (const name of ['chaos-short.json', 'chaos-short.md', 'chaos-short-timeline.svg']) assert.ok(existsSync(join(out, name)), `${name} written`)
      assert.ok(result.queries.ok > 0 && result.check.spans > 0, 'queries were made and spans checked')
      assert.equal(result.verdict, 'pass', verdictLine(result))
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
