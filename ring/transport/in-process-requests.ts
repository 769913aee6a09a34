/**
 * The request/response half shared by the transports that run without sockets — the in-memory
 * transport (memory.ts) and the simulator's (simulations/transport.ts): they differ only in how
 * a leg crosses their network.
 *
 * - `PendingRequests`: the requests sent and not yet answered. Each settles exactly once: by its
 *   answer, its timeout, the caller's abort, the loss of its link, or the transport's stop.
 * - `answerRequest`: runs the local handler for a received request and replies with its bytes or
 *   with its error text, refusing a response over the size limit, as the libp2p transport does.
 */
import type { Clock } from '../../common/clock.ts'
import { MessageTooLargeError, PeerUnavailableError, RemoteHandlerError, RequestTimeoutError } from './errors.ts'
import { errorText } from './options.ts'

/** One request's outcome as it travels back. */
export type Answer = { ok: true, data: Uint8Array } | { ok: false, error: string }

export type RequestHandler = (from: string, request: Uint8Array) => Promise<Uint8Array>

interface Pending {
  readonly peer: string
  readonly resolve: (data: Uint8Array) => void
  readonly reject: (err: unknown) => void
  settle: (outcome: () => void) => void
}

export class PendingRequests {
  readonly #clock: Clock
  readonly #pending = new Map<number, Pending>()
  #nextId = 0

  constructor (clock: Clock) {
    this.#clock = clock
  }

  /**
   * Registers a request to `peer` and puts it on the wire with `send(id)` (false: the link is
   * down now, and the request fails at once). Resolves with the answer's bytes.
   */
  start (peer: string, timeoutMs: number, signal: AbortSignal | undefined, send: (id: number) => boolean): Promise<Uint8Array> {
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    const id = ++this.#nextId
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = (): void => pending.settle(() => reject(signal?.reason))
      const timer = this.#clock.setTimeout(() => pending.settle(() => reject(new RequestTimeoutError(peer, timeoutMs))), timeoutMs)
      const pending: Pending = {
        peer,
        resolve,
        reject,
        settle: (outcome) => {
          if (!this.#pending.delete(id)) return
          timer.cancel()
          signal?.removeEventListener('abort', onAbort)
          outcome()
        },
      }
      this.#pending.set(id, pending)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (!send(id)) pending.settle(() => reject(new PeerUnavailableError(peer, 'not connected')))
    })
  }

  /** The answer to request `id`; ignored unless it comes from the peer the request went to. */
  answer (from: string, id: number, answer: Answer): void {
    const pending = this.#pending.get(id)
    if (pending === undefined || pending.peer !== from) return
    if (answer.ok) pending.settle(() => pending.resolve(answer.data))
    else pending.settle(() => pending.reject(new RemoteHandlerError(from, answer.error)))
  }

  /** Fails every request to `peer` (its link dropped). */
  linkLost (peer: string): void {
    for (const p of [...this.#pending.values()]) {
      if (p.peer === peer) p.settle(() => p.reject(new PeerUnavailableError(peer, 'connection lost')))
    }
  }

  /** Fails every request (the transport stops). */
  failAll (error: () => unknown): void {
    for (const p of [...this.#pending.values()]) p.settle(() => p.reject(error()))
  }
}

/**
 * Answers a received request through `reply`: the handler's bytes, or an error (no handler, the
 * handler threw, the response exceeds `maxBytes`). The handler runs in a later microtask, as a
 * stream handler would.
 */
export function answerRequest (handler: RequestHandler | undefined, from: string, request: Uint8Array, maxBytes: number, reply: (answer: Answer) => void): void {
  if (handler === undefined) {
    reply({ ok: false, error: 'no request handler' })
    return
  }
  Promise.resolve()
    .then(() => handler(from, request))
    .then((response) => {
      if (response.byteLength > maxBytes) reply({ ok: false, error: new MessageTooLargeError('response', response.byteLength, maxBytes).message })
      else reply({ ok: true, data: response })
    }, (err: unknown) => reply({ ok: false, error: errorText(err) }))
}
