/**
 * FindCoordinator (key 10), versions 0–2.
 *
 * FindCoordinator Request (Version: 0) => key
 *   key => STRING            (the group id)
 * FindCoordinator Request (Version: 1-2) => key key_type
 *   key_type => INT8          (0 group, 1 transaction)
 *
 * FindCoordinator Response (Version: 0) => error_code node_id host port
 *   error_code => INT16
 *   node_id => INT32
 *   host => STRING
 *   port => INT32
 * FindCoordinator Response (Version: 1-2) => throttle_time_ms error_code error_message node_id host port
 *   throttle_time_ms => INT32
 *   error_message => NULLABLE_STRING
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const

export interface FindCoordinatorRequest {
  key: string
  /** v1+; 0 (group) otherwise. */
  keyType: number
}

export interface FindCoordinatorResponse {
  /** v1+; defaults to 0. */
  throttleTimeMs?: number
  errorCode: number
  /** v1+; defaults to null. */
  errorMessage?: string | null
  nodeId: number
  host: string
  port: number
}

export const findCoordinator = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,

  decodeRequest (v: number, r: Reader): FindCoordinatorRequest {
    const key = r.string('key')
    return { key, keyType: v >= 1 ? r.int8('key_type') : 0 }
  },

  encodeRequest (v: number, req: FindCoordinatorRequest, w: Writer): void {
    w.string(req.key)
    if (v >= 1) w.int8(req.keyType)
  },

  encodeResponse (v: number, res: FindCoordinatorResponse, w: Writer): void {
    if (v >= 1) w.int32(res.throttleTimeMs ?? 0)
    w.int16(res.errorCode)
    if (v >= 1) w.nullableString(res.errorMessage ?? null)
    w.int32(res.nodeId).string(res.host).int32(res.port)
  },

  decodeResponse (v: number, r: Reader): FindCoordinatorResponse {
    const throttleTimeMs = v >= 1 ? r.int32('throttle_time_ms') : undefined
    const errorCode = r.int16('error_code')
    const errorMessage = v >= 1 ? r.nullableString('error_message') : undefined
    const res: FindCoordinatorResponse = { errorCode, nodeId: r.int32('node_id'), host: r.string('host'), port: r.int32('port') }
    if (throttleTimeMs !== undefined) res.throttleTimeMs = throttleTimeMs
    if (errorMessage !== undefined) res.errorMessage = errorMessage
    return res
  },
})
