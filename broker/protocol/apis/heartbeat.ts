/**
 * Heartbeat (key 12), versions 0–3.
 *
 * Heartbeat Request (Version: 0-2) => group_id generation_id member_id
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 * Heartbeat Request (Version: 3) => group_id generation_id member_id group_instance_id
 *   group_instance_id => NULLABLE_STRING
 *
 * Heartbeat Response (Version: 0) => error_code
 *   error_code => INT16
 * Heartbeat Response (Version: 1-3) => throttle_time_ms error_code
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface HeartbeatRequest {
  groupId: string
  generationId: number
  memberId: string
  /** v3+; null otherwise. */
  groupInstanceId: string | null
}

export interface HeartbeatResponse {
  /** v1+; defaults to 0. */
  throttleTimeMs?: number
  errorCode: number
}

export const heartbeat = defineApi<HeartbeatRequest, HeartbeatResponse>({
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 3,

  decodeRequest (v: number, r: Reader): HeartbeatRequest {
    return {
      groupId: r.string('group_id'),
      generationId: r.int32('generation_id'),
      memberId: r.string('member_id'),
      groupInstanceId: v >= 3 ? r.nullableString('group_instance_id') : null,
    }
  },

  encodeRequest (v: number, req: HeartbeatRequest, w: Writer): void {
    w.string(req.groupId).int32(req.generationId).string(req.memberId)
    if (v >= 3) w.nullableString(req.groupInstanceId)
  },

  encodeResponse (v: number, res: HeartbeatResponse, w: Writer): void {
    if (v >= 1) w.int32(res.throttleTimeMs ?? 0)
    w.int16(res.errorCode)
  },

  decodeResponse (v: number, r: Reader): HeartbeatResponse {
    if (v === 0) return { errorCode: r.int16('error_code') }
    const throttleTimeMs = r.int32('throttle_time_ms')
    return { throttleTimeMs, errorCode: r.int16('error_code') }
  },
})
