/**
 * ApiVersions (key 18), versions 0–2. Requests of v3+ are flexible (header v2, compact body);
 * they are answered per KIP-511 with a v0 body carrying UNSUPPORTED_VERSION and our ranges,
 * see `encodeApiVersionsFallback` in index.ts.
 *
 * ApiVersions Request (Version: 0-2) => (empty)
 *
 * ApiVersions Response (Version: 0) => error_code [api_keys]
 *   error_code => INT16
 *   api_keys => api_key min_version max_version
 *     api_key => INT16
 *     min_version => INT16
 *     max_version => INT16
 * ApiVersions Response (Version: 1-2) => error_code [api_keys] throttle_time_ms
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export type ApiVersionsRequest = Record<string, never>

export interface ApiVersionRange {
  apiKey: number
  minVersion: number
  maxVersion: number
}

export interface ApiVersionsResponse {
  errorCode: number
  apiKeys: ApiVersionRange[]
  /** v1+; defaults to 0. */
  throttleTimeMs?: number
}

export const apiVersions = defineApi<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 2,

  decodeRequest (): ApiVersionsRequest {
    return {}
  },

  encodeRequest (): void {},

  encodeResponse (v: number, res: ApiVersionsResponse, w: Writer): void {
    w.int16(res.errorCode)
    w.array(res.apiKeys, (w, k) => { w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion) })
    if (v >= 1) w.int32(res.throttleTimeMs ?? 0)
  },

  decodeResponse (v: number, r: Reader): ApiVersionsResponse {
    const res: ApiVersionsResponse = {
      errorCode: r.int16('error_code'),
      apiKeys: r.array('api_keys', (r) => ({
        apiKey: r.int16('api_key'),
        minVersion: r.int16('min_version'),
        maxVersion: r.int16('max_version'),
      }), 6),
    }
    if (v >= 1) res.throttleTimeMs = r.int32('throttle_time_ms')
    return res
  },
})
