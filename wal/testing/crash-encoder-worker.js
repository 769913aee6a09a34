// An encoder worker entry for tests: the real worker, plus a crash (process.exit) on any job for
// block id "crash", to check that the pool fails that job and replaces the worker.
import { parentPort } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import('../../common/promise-with-resolvers.ts')
await import('../encoder-thread.ts')
parentPort.on('message', (m) => {
  if (m.job.blockId === 'crash') process.exit(3)
})
