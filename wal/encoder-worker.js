// Entry of a block encoder worker thread (encoder-pool.ts): the TypeScript loader and the shim are
// registered here too (worker threads do not inherit the main thread's loader hooks).
import { register } from 'tsx/esm/api'

register()
await import('../common/promise-with-resolvers.ts')
await import('./encoder-thread.ts')
