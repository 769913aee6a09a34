import { NotReadyError } from '../../common/errors.ts'
import { combineTraces } from '../../common/otlp/combine.ts'
import type { Readiness } from '../../common/readiness.ts'
import type { TraceFinder } from '../app.ts'
import { decodeTraceByIdRequest, defaultProtocolLimits, encodeTraceByIdResponse } from './protocol.ts'
import type { ProtocolLimits } from './protocol.ts'
import type { LocalLookupFn } from './types.ts'

export interface LocalLookupOptions {
  /** This node's store (memory and blocks). */
  finder: TraceFinder
  readiness: Readiness
}

/**
 * This node's own answer to a trace-by-id lookup, as Tempo's live-store answers FindTraceByID
 * (tempo-behaviour.md §5.3): readiness first (starting or stopping → NotReadyError, so the asker
 * tries another owner), then every tenant's trace merged. While catching up it answers with what
 * it has and says so in `incomplete`. Used for local calls by the fan-out and by the handler below.
 */
export function createLocalTraceLookup (opts: LocalLookupOptions): LocalLookupFn {
  const { finder, readiness } = opts
  return async (tenants, traceId, signal) => {
    signal?.throwIfAborted()
    const state = readiness.state()
    if (state === 'starting' || state === 'stopping') {
      const reason = readiness.reason()
      throw new NotReadyError(reason === '' ? `live-store is ${state}` : reason)
    }
    const trace = combineTraces(await Promise.all(tenants.map((t) => finder.findTraceById(t, traceId))))
    if (state !== 'catching-up') return { trace }
    const reason = readiness.reason()
    return { trace, incomplete: reason === '' ? 'live-store is catching up' : reason }
  }
}

export interface InternalQueryHandlerOptions extends LocalLookupOptions {
  limits?: ProtocolLimits
}

/**
 * The server side of the internal query protocol: decodes a request, looks it up locally and
 * encodes the answer. Every failure (bad bytes, not ready, a response above the limit) is thrown;
 * the transport carries the error text back and the asker moves on to the next owner.
 * Plug it into the query channel: `query.serve(createInternalQueryHandler({ finder, readiness }))`.
 */
export function createInternalQueryHandler (opts: InternalQueryHandlerOptions): (from: string, request: Uint8Array) => Promise<Uint8Array> {
  const limits = opts.limits ?? defaultProtocolLimits
  const lookup = createLocalTraceLookup(opts)
  return async (_from, request) => {
    const req = decodeTraceByIdRequest(request, limits)
    return encodeTraceByIdResponse(await lookup(req.tenants, req.traceId), limits)
  }
}
