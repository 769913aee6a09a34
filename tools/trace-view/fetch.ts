import type { TracesData } from '../../common/otlp/model.ts'
import { readTempoTrace } from './tempo-json.ts'

export interface FetchTraceOptions {
  /** Sent as `X-Scope-OrgID` (multitenant clusters). */
  tenant?: string
  /** Aborts the request. */
  signal?: AbortSignal
  /** The fetch to use (default the global one); tests may inject their own. */
  fetch?: typeof fetch
}

/**
 * Fetches one trace with Tempo's v2 trace-by-id API (`GET {baseUrl}/api/v2/traces/{id}`) and
 * reads it into the model. Null when the trace is not found (404, or `{"trace":{}}`); any other
 * non-2xx answer throws with the status and the response text.
 */
export async function fetchTrace (baseUrl: string, traceIdHex: string, options: FetchTraceOptions = {}): Promise<TracesData | null> {
  if (!/^[0-9a-fA-F]{1,32}$/.test(traceIdHex)) throw new Error(`invalid trace id ${JSON.stringify(traceIdHex)}: expected up to 32 hex characters`)
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.tenant !== undefined && options.tenant !== '') headers['X-Scope-OrgID'] = options.tenant
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v2/traces/${traceIdHex.toLowerCase()}`
  const init: RequestInit = { headers }
  if (options.signal !== undefined) init.signal = options.signal
  const res = await (options.fetch ?? fetch)(url, init)
  if (res.status === 404) return null
  const body = await res.text()
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${body.trim().slice(0, 500)}`)
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch (err) {
    throw new Error(`GET ${url}: response is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  return readTempoTrace(doc)
}
