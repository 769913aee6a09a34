/**
 * SyncGroup (key 14), versions 0–3.
 *
 * SyncGroup Request (Version: 0-2) => group_id generation_id member_id [assignments]
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 *   assignments => member_id assignment
 *     member_id => STRING
 *     assignment => BYTES
 * SyncGroup Request (Version: 3) => group_id generation_id member_id group_instance_id [assignments]
 *   group_instance_id => NULLABLE_STRING
 *
 * SyncGroup Response (Version: 0) => error_code assignment
 *   error_code => INT16
 *   assignment => BYTES
 * SyncGroup Response (Version: 1-3) => throttle_time_ms error_code assignment
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  /** v3+; null otherwise. */
  groupInstanceId: string | null
  /** Only the leader sends assignments; followers send an empty list. */
  assignments: { memberId: string, assignment: Buffer }[]
}

export interface SyncGroupResponse {
  /** v1+; defaults to 0. */
  throttleTimeMs?: number
  errorCode: number
  assignment: Buffer
}

export const syncGroup = defineApi<SyncGroupRequest, SyncGroupResponse>({
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,

  decodeRequest (v: number, r: Reader): SyncGroupRequest {
    const groupId = r.string('group_id')
    const generationId = r.int32('generation_id')
    const memberId = r.string('member_id')
    const groupInstanceId = v >= 3 ? r.nullableString('group_instance_id') : null
    const assignments = r.array('assignments', (r) => ({
      memberId: r.string('assignments.member_id'),
      assignment: r.bytes('assignments.assignment'),
    }), 6)
    return { groupId, generationId, memberId, groupInstanceId, assignments }
  },

  encodeRequest (v: number, req: SyncGroupRequest, w: Writer): void {
    w.string(req.groupId).int32(req.generationId).string(req.memberId)
    if (v >= 3) w.nullableString(req.groupInstanceId)
    w.array(req.assignments, (w, a) => { w.string(a.memberId).bytes(a.assignment) })
  },

  encodeResponse (v: number, res: SyncGroupResponse, w: Writer): void {
    if (v >= 1) w.int32(res.throttleTimeMs ?? 0)
    w.int16(res.errorCode).bytes(res.assignment)
  },

  decodeResponse (v: number, r: Reader): SyncGroupResponse {
    const throttleTimeMs = v >= 1 ? r.int32('throttle_time_ms') : undefined
    const res: SyncGroupResponse = { errorCode: r.int16('error_code'), assignment: r.bytes('assignment') }
    if (throttleTimeMs !== undefined) res.throttleTimeMs = throttleTimeMs
    return res
  },
})
