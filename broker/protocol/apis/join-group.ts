/**
 * JoinGroup (key 11), versions 0–5.
 *
 * JoinGroup Request (Version: 0) => group_id session_timeout_ms member_id protocol_type [protocols]
 *   group_id => STRING
 *   session_timeout_ms => INT32
 *   member_id => STRING
 *   protocol_type => STRING
 *   protocols => name metadata
 *     name => STRING
 *     metadata => BYTES
 * JoinGroup Request (Version: 1-4) => group_id session_timeout_ms rebalance_timeout_ms member_id protocol_type [protocols]
 *   rebalance_timeout_ms => INT32
 * JoinGroup Request (Version: 5) => group_id session_timeout_ms rebalance_timeout_ms member_id group_instance_id protocol_type [protocols]
 *   group_instance_id => NULLABLE_STRING
 *
 * JoinGroup Response (Version: 0-1) => error_code generation_id protocol_name leader member_id [members]
 *   error_code => INT16
 *   generation_id => INT32
 *   protocol_name => STRING
 *   leader => STRING
 *   member_id => STRING
 *   members => member_id metadata
 *     member_id => STRING
 *     metadata => BYTES
 * JoinGroup Response (Version: 2-4) => throttle_time_ms error_code generation_id protocol_name leader member_id [members]
 *   throttle_time_ms => INT32
 * JoinGroup Response (Version: 5) => (as v2)
 *   members => member_id group_instance_id metadata
 *     group_instance_id => NULLABLE_STRING
 *
 * v4 adds the MEMBER_ID_REQUIRED handshake (semantics only).
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface JoinGroupRequest {
  groupId: string
  sessionTimeoutMs: number
  /**
   * v1+. v0 has no separate rebalance timeout: the session timeout is used for both, as Kafka's
   * KafkaApis does, so the decoder copies it here.
   */
  rebalanceTimeoutMs: number
  memberId: string
  /** v5+; null otherwise. */
  groupInstanceId: string | null
  protocolType: string
  protocols: { name: string, metadata: Buffer }[]
}

export interface JoinGroupMember {
  memberId: string
  /** v5+; defaults to null. */
  groupInstanceId?: string | null
  metadata: Buffer
}

export interface JoinGroupResponse {
  /** v2+; defaults to 0. */
  throttleTimeMs?: number
  errorCode: number
  generationId: number
  protocolName: string
  leader: string
  memberId: string
  members: JoinGroupMember[]
}

export const joinGroup = defineApi<JoinGroupRequest, JoinGroupResponse>({
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 5,

  decodeRequest (v: number, r: Reader): JoinGroupRequest {
    const groupId = r.string('group_id')
    const sessionTimeoutMs = r.int32('session_timeout_ms')
    const rebalanceTimeoutMs = v >= 1 ? r.int32('rebalance_timeout_ms') : sessionTimeoutMs
    const memberId = r.string('member_id')
    const groupInstanceId = v >= 5 ? r.nullableString('group_instance_id') : null
    const protocolType = r.string('protocol_type')
    const protocols = r.array('protocols', (r) => ({
      name: r.string('protocols.name'),
      metadata: r.bytes('protocols.metadata'),
    }), 6)
    return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols }
  },

  encodeRequest (v: number, req: JoinGroupRequest, w: Writer): void {
    w.string(req.groupId).int32(req.sessionTimeoutMs)
    if (v >= 1) w.int32(req.rebalanceTimeoutMs)
    w.string(req.memberId)
    if (v >= 5) w.nullableString(req.groupInstanceId)
    w.string(req.protocolType)
    w.array(req.protocols, (w, p) => { w.string(p.name).bytes(p.metadata) })
  },

  encodeResponse (v: number, res: JoinGroupResponse, w: Writer): void {
    if (v >= 2) w.int32(res.throttleTimeMs ?? 0)
    w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId)
    w.array(res.members, (w, m) => {
      w.string(m.memberId)
      if (v >= 5) w.nullableString(m.groupInstanceId ?? null)
      w.bytes(m.metadata)
    })
  },

  decodeResponse (v: number, r: Reader): JoinGroupResponse {
    const throttleTimeMs = v >= 2 ? r.int32('throttle_time_ms') : undefined
    const res: JoinGroupResponse = {
      errorCode: r.int16('error_code'),
      generationId: r.int32('generation_id'),
      protocolName: r.string('protocol_name'),
      leader: r.string('leader'),
      memberId: r.string('member_id'),
      members: r.array('members', (r) => {
        const m: JoinGroupMember = { memberId: r.string('members.member_id'), metadata: Buffer.alloc(0) }
        if (v >= 5) m.groupInstanceId = r.nullableString('members.group_instance_id')
        m.metadata = r.bytes('members.metadata')
        return m
      }, 6),
    }
    if (throttleTimeMs !== undefined) res.throttleTimeMs = throttleTimeMs
    return res
  },
})
