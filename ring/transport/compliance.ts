/**
 * The one compliance suite every `GossipTransport` passes (memory.test.ts, libp2p.test.ts). It
 * pins the behaviour the ring relies on, whatever carries the bytes: publish reaches every other
 * peer once and never the sender; request/response round trips (1 MiB included) with remote
 * failures, unknown peers, timeouts and aborts reported as typed errors; peer up/down events;
 * an idempotent stop that leaves nothing scheduled; and the message size limit on every path.
 *
 * Time is abstract: the harness's `advance(ms)` moves a manual clock (memory) or sleeps
 * (libp2p), and every wait is bounded by `waitMs` of that time.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NotReadyError } from '../../common/errors.ts'
import { MessageTooLargeError, PeerUnavailableError, RemoteHandlerError, RequestTimeoutError, TransportStoppedError } from './errors.ts'
import type { GossipTransport, PeerEvent } from './types.ts'

export interface ComplianceHarness {
  /** Started transports, connected pairwise (and ready to gossip) unless created unconnected. */
  transports: GossipTransport[]
  /** The `maxMessageBytes` the transports were created with (at least 2 MiB). */
  maxMessageBytes: number
  /** Lets `ms` of transport time pass (advance a manual clock, or sleep). */
  advance (ms: number): Promise<void>
  /** Timers still scheduled after every transport stopped (memory: ManualClock.pendingTimers). */
  leftoverTimers? (): number
  /** Stops every transport and releases everything. */
  cleanup (): Promise<void>
}

export interface ComplianceSuite {
  name: string
  create (count: number, options: { connected: boolean }): Promise<ComplianceHarness>
  /** Bound on each wait for an asynchronous outcome, in transport ms (default 5000). */
  waitMs?: number
  /** Quiet period after which no further delivery is expected, in transport ms (default 300). */
  quietMs?: number
}

const step = 10

function bytes (n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** A response the test releases itself (lib is ES2023: no Promise.withResolvers in the types). */
function deferred (): { promise: Promise<Uint8Array>, resolve: (v: Uint8Array) => void } {
  let resolve: (v: Uint8Array) => void = () => undefined
  const promise = new Promise<Uint8Array>((r) => { resolve = r })
  return { promise, resolve }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array): string => new TextDecoder().decode(b)

function at<T> (list: readonly T[], i: number): T {
  const v = list[i]
  if (v === undefined) throw new Error(`harness has no transport ${i}`)
  return v
}

export function transportCompliance (suite: ComplianceSuite): void {
  const waitMs = suite.waitMs ?? 5_000
  const quietMs = suite.quietMs ?? 300

  async function waitFor (h: ComplianceHarness, what: string, condition: () => boolean): Promise<void> {
    for (let waited = 0; !condition(); waited += step) {
      if (waited >= waitMs) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`)
      await h.advance(step)
    }
  }

  /** Waits (advancing time) until `promise` settles, then returns its outcome. */
  async function settle<T> (h: ComplianceHarness, what: string, promise: Promise<T>): Promise<{ ok: true, value: T } | { ok: false, error: unknown }> {
    let outcome: { ok: true, value: T } | { ok: false, error: unknown } | undefined
    promise.then((value) => { outcome = { ok: true, value } }, (error: unknown) => { outcome = { ok: false, error } })
    await waitFor(h, what, () => outcome !== undefined)
    return outcome as { ok: true, value: T } | { ok: false, error: unknown }
  }

  async function rejection (h: ComplianceHarness, what: string, promise: Promise<unknown>): Promise<unknown> {
    const outcome = await settle(h, what, promise)
    assert.equal(outcome.ok, false, `${what} should have been rejected`)
    return (outcome as { error: unknown }).error
  }

  async function withHarness (count: number, connected: boolean, fn: (h: ComplianceHarness, t: GossipTransport[]) => Promise<void>): Promise<void> {
    const h = await suite.create(count, { connected })
    try {
      await fn(h, h.transports)
    } finally {
      await h.cleanup()
    }
  }

  describe(`GossipTransport compliance: ${suite.name}`, () => {
    it('publish reaches every other peer exactly once and never the sender', async () => {
      await withHarness(3, true, async (h, t) => {
        const got = t.map(() => [] as { from: string, message: string }[])
        const unsubscribe = t.map((tr, i) => tr.onMessage((from, message) => { at(got, i).push({ from, message: str(message) }) }))
        await at(t, 0).publish(text('hello'))
        await waitFor(h, 'the publish to reach both peers', () => at(got, 1).length > 0 && at(got, 2).length > 0)
        await h.advance(quietMs)
        assert.deepEqual(at(got, 0), [])
        assert.deepEqual(at(got, 1), [{ from: at(t, 0).localId, message: 'hello' }])
        assert.deepEqual(at(got, 2), [{ from: at(t, 0).localId, message: 'hello' }])

        at(unsubscribe, 2)()
        await at(t, 1).publish(text('second'))
        await waitFor(h, 'the second publish', () => at(got, 0).length > 0)
        await h.advance(quietMs)
        assert.deepEqual(at(got, 0), [{ from: at(t, 1).localId, message: 'second' }])
        assert.equal(at(got, 1).length, 1, 'the sender does not hear itself')
        assert.equal(at(got, 2).length, 1, 'an unsubscribed handler hears nothing')
      })
    })

    it('request/response round trip; the handler sees the requester; a later handler replaces it', async () => {
      await withHarness(2, true, async (h, [a, b]) => {
        assert.ok(a !== undefined && b !== undefined)
        const seen: string[] = []
        b.handleRequest(async (from, request) => { seen.push(from); return text(`pong:${str(request)}`) })
        const answer = await settle(h, 'the request', a.request(b.localId, text('ping')))
        assert.ok(answer.ok)
        assert.equal(str(answer.value), 'pong:ping')
        assert.deepEqual(seen, [a.localId])

        b.handleRequest(async () => text('second handler'))
        const again = await settle(h, 'the second request', a.request(b.localId, text('ping')))
        assert.ok(again.ok)
        assert.equal(str(again.value), 'second handler')
      })
    })

    it('carries a 1 MiB request and a 1 MiB response intact', async () => {
      await withHarness(2, true, async (h, [a, b]) => {
        assert.ok(a !== undefined && b !== undefined)
        const big = bytes(1024 * 1024, 7)
        b.handleRequest(async (_from, request) => Uint8Array.from(request).reverse())
        const answer = await settle(h, 'the 1 MiB request', a.request(b.localId, big))
        assert.ok(answer.ok)
        assert.equal(answer.value.byteLength, big.byteLength)
        assert.deepEqual(Buffer.from(answer.value), Buffer.from(Uint8Array.from(big).reverse()))
      })
    })

    it('a handler error rejects the requester with RemoteHandlerError carrying its message', async () => {
      await withHarness(2, true, async (h, [a, b]) => {
        assert.ok(a !== undefined && b !== undefined)
        b.handleRequest(async () => { throw new Error('state not loaded yet') })
        const err = await rejection(h, 'the failing request', a.request(b.localId, text('x')))
        assert.ok(err instanceof RemoteHandlerError, `got ${String(err)}`)
        assert.equal(err.peer, b.localId)
        assert.match(err.message, /state not loaded yet/)
      })
    })

    it('a request to an invalid, unknown or stopped peer rejects with PeerUnavailableError', async () => {
      await withHarness(3, true, async (h, [a, b, c]) => {
        assert.ok(a !== undefined && b !== undefined && c !== undefined)
        c.handleRequest(async () => text('never'))
        const invalid = await rejection(h, 'a request to an invalid id', a.request('no-such-peer', text('x')))
        assert.ok(invalid instanceof PeerUnavailableError, `got ${String(invalid)}`)
        await c.stop()
        await waitFor(h, 'the stopped peer to go', () => !a.peers().includes(c.localId))
        const stopped = await rejection(h, 'a request to a stopped peer', a.request(c.localId, text('x')))
        assert.ok(stopped instanceof PeerUnavailableError, `got ${String(stopped)}`)
        assert.equal(stopped.peer, c.localId)
      })
    })

    it('a request times out with RequestTimeoutError, and an abort rejects with its reason', async () => {
      await withHarness(2, true, async (h, [a, b]) => {
        assert.ok(a !== undefined && b !== undefined)
        const release = deferred()
        b.handleRequest(() => release.promise)
        const timedOut = await rejection(h, 'the slow request', a.request(b.localId, text('x'), { timeoutMs: 200 }))
        assert.ok(timedOut instanceof RequestTimeoutError, `got ${String(timedOut)}`)

        const controller = new AbortController()
        const reason = new Error('caller gave up')
        const pending = a.request(b.localId, text('y'), { signal: controller.signal })
        await h.advance(50)
        controller.abort(reason)
        assert.equal(await rejection(h, 'the aborted request', pending), reason)
        const early = await rejection(h, 'a request with an aborted signal', a.request(b.localId, text('z'), { signal: controller.signal }))
        assert.equal(early, reason)
        release.resolve(text('late'))
      })
    })

    it('dial resolves with the peer id and both sides see the peer come up', async () => {
      await withHarness(2, false, async (h, [a, b]) => {
        assert.ok(a !== undefined && b !== undefined)
        const eventsA: PeerEvent[] = []
        const eventsB: PeerEvent[] = []
        a.onPeer((e) => eventsA.push(e))
        b.onPeer((e) => eventsB.push(e))
        assert.deepEqual(a.peers(), [])
        const address = b.addresses()[0]
        assert.ok(address !== undefined, 'a started transport has an address')
        const dialed = await settle(h, 'the dial', a.dial(address))
        assert.ok(dialed.ok, dialed.ok ? '' : String(dialed.error))
        assert.equal(dialed.value, b.localId)
        await waitFor(h, 'peer up on both sides', () => eventsA.length > 0 && eventsB.length > 0)
        assert.deepEqual(eventsA, [{ peer: b.localId, type: 'up' }])
        assert.deepEqual(eventsB, [{ peer: a.localId, type: 'up' }])
        assert.deepEqual(a.peers(), [b.localId])
        assert.deepEqual(b.peers(), [a.localId])
      })
    })

    it('a stopped peer is reported down once, and the stopped side hears nothing more', async () => {
      await withHarness(2, true, async (h, [a, b]) => {
        assert.ok(a !== undefined && b !== undefined)
        const eventsA: PeerEvent[] = []
        const eventsB: PeerEvent[] = []
        a.onPeer((e) => eventsA.push(e))
        b.onPeer((e) => eventsB.push(e))
        await b.stop()
        await waitFor(h, 'peer down', () => eventsA.length > 0)
        await h.advance(quietMs)
        assert.deepEqual(eventsA, [{ peer: b.localId, type: 'down' }])
        assert.deepEqual(eventsB, [])
        assert.deepEqual(a.peers(), [])
      })
    })

    it('stop is idempotent, refuses further use, fails pending requests and leaves no timers', async () => {
      const h = await suite.create(2, { connected: true })
      try {
        const [a, b] = h.transports
        assert.ok(a !== undefined && b !== undefined)
        const release = deferred()
        b.handleRequest(() => release.promise)
        const pending = a.request(b.localId, text('x')).then(() => undefined, (e: unknown) => e)
        await h.advance(50)
        await Promise.all([a.stop(), a.stop()])
        await a.stop()
        const err = await pending
        assert.ok(err instanceof NotReadyError, `got ${String(err)}`)
        await assert.rejects(a.publish(text('x')), TransportStoppedError)
        await assert.rejects(a.request(b.localId, text('x')), TransportStoppedError)
        await assert.rejects(a.dial(b.addresses()[0] ?? ''), TransportStoppedError)
        release.resolve(text('late'))
      } finally {
        await h.cleanup()
      }
      if (h.leftoverTimers !== undefined) assert.equal(h.leftoverTimers(), 0, 'timers left after stop')
    })

    it('refuses messages above maxMessageBytes on publish, request and response', async () => {
      await withHarness(2, true, async (h, [a, b]) => {
        assert.ok(a !== undefined && b !== undefined)
        const max = h.maxMessageBytes
        const got: number[] = []
        b.onMessage((_from, m) => got.push(m.byteLength))
        await assert.rejects(a.publish(new Uint8Array(max + 1)), MessageTooLargeError)
        await assert.rejects(a.request(b.localId, new Uint8Array(max + 1)), MessageTooLargeError)

        b.handleRequest(async (_from, request) => request.byteLength === 1 ? new Uint8Array(max + 1) : request)
        const atLimit = await settle(h, 'a request of exactly the limit', a.request(b.localId, new Uint8Array(max)))
        assert.ok(atLimit.ok, atLimit.ok ? '' : String(atLimit.error))
        assert.equal(atLimit.value.byteLength, max)
        const tooBig = await rejection(h, 'an oversized response', a.request(b.localId, new Uint8Array(1)))
        assert.ok(tooBig instanceof RemoteHandlerError, `got ${String(tooBig)}`)
        assert.match(tooBig.message, /exceeds the limit/)
        await h.advance(quietMs)
        assert.deepEqual(got, [], 'the oversized publish never left')
      })
    })
  })
}
