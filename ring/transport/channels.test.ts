import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock } from '../../test/fakes/clock.ts'
import { splitChannels } from './channels.ts'
import { MemoryNetwork } from './memory.ts'

const never = new AbortController().signal
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('splitChannels', () => {
  it('carries ring sync and queries over one transport, each to its own handler', async () => {
    const network = new MemoryNetwork({ clock: new ManualClock(), latencyMs: 0 })
    const a = splitChannels(network.createTransport('a'))
    const b = splitChannels(network.createTransport('b'))
    await a.ring.start(never)
    await b.ring.start(never)
    await a.ring.dial('/memory/b')
    b.ring.handleRequest(async (from, req) => bytes(`ring ${from} ${text(req)}`))
    b.query.serve(async (from, req) => bytes(`query ${from} ${text(req)}`))
    assert.equal(text(await a.ring.request('b', bytes('pull'))), 'ring a pull')
    assert.equal(text(await a.query.ask('b', bytes('trace 1'))), 'query a trace 1')
    // A channel without a handler answers an error, not the other channel's handler.
    await assert.rejects(b.query.ask('a', bytes('x')), /unknown request channel 1/)
    await a.ring.stop()
    await b.ring.stop()
  })
})
