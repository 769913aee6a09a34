/**
 * LeaveGroup (key 13), versions 0–2. (v3 batches several members; kafkajs works with 2.)
 *
 * LeaveGroup Request (Version: 0-2) => group_id member_id
 *   group_id => STRING
 *   member_id => STRING
 *
 * LeaveGroup Response (Version: 0) => error_code
 *   error_code => INT16
 * LeaveGroup Response (Version: 1-2) => throttle_time_ms error_code
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface LeaveGroupRequest {
  groupId: string
  memberId: string
}

export interface LeaveGroupResponse {
  /** v1+; defaults to 0. */
  throttleTimeMs?: number
  errorCode: number
}

export const leaveGroup = defineApi<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 2,

  decodeRequest (_v: number, r: Reader): LeaveGroupRequest {
    return { groupId: r.string('group_id'), memberId: r.string('member_id') }
  },

  encodeRequest (_v: number, req: LeaveGroupRequest, w: Writer): void {
    w.string(req.groupId).string(req.memberId)
  },

  encodeResponse (v: number, res: LeaveGroupResponse, w: Writer): void {
    if (v >= 1) w.int32(res.throttleTimeMs ?? 0)
    w.int16(res.errorCode)
  },

  decodeResponse (v: number, r: Reader): LeaveGroupResponse {
    if (v === 0) return { errorCode: r.int16('error_code') }
    const throttleTimeMs = r.int32('throttle_time_ms')
    return { throttleTimeMs, errorCode: r.int16('error_code') }
  },
})
