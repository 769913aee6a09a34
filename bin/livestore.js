#!/usr/bin/env node
// The livestore executable. It registers the TypeScript loader (tsx) in this same process, so
// `node bin/livestore.js …` *is* the node: no wrapper process, and signals such as SIGKILL reach
// it directly. The Promise.withResolvers shim is loaded before anything else.
import { setFlagsFromString } from 'node:v8'
import { register } from 'tsx/esm/api'

setFlagsFromString('--max-semi-space-size=64')

register()
await import('../common/promise-with-resolvers.ts')
const { main } = await import('../node/cli.ts')
await main(process.argv)
