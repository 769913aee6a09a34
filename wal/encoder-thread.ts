import { parentPort } from 'node:worker_threads'
import { runCompleteJob, runSegmentJob } from './encoder-jobs.ts'
import type { BlockMeta } from './meta.ts'
import type { SegmentResult } from './encoder-jobs.ts'
import { errorToWire, unpackSegmentJob } from './encoder-wire.ts'
import type { FromWorker, ToWorker } from './encoder-wire.ts'

/**
 * One worker thread of the block encoder pool (encoder-pool.ts): runs the jobs it is sent, one at
 * a time (the pool never sends a second before the first is answered), with the same functions
 * the inline encoder calls.
 */
const port = parentPort
if (port === null) throw new Error('encoder-thread must run in a worker thread')

port.on('message', (m: ToWorker) => {
  const run: Promise<SegmentResult | BlockMeta> = m.kind === 'segment' ? runSegmentJob(unpackSegmentJob(m.job)) : runCompleteJob(m.job)
  run.then(
    (value) => port.postMessage({ id: m.id, ok: true, value } satisfies FromWorker),
    (err: unknown) => port.postMessage({ id: m.id, ok: false, error: errorToWire(err) } satisfies FromWorker),
  )
})
