/**
 * DescribeGroups (key 15), versions 0–2.
 *
 * DescribeGroups Request (Version: 0-2) => [groups]
 *   groups => STRING
 *
 * DescribeGroups Response (Version: 0) => [groups]
 *   groups => error_code group_id group_state protocol_type protocol_data [members]
 *     error_code => INT16
 *     group_id => STRING
 *     group_state => STRING
 *     protocol_type => STRING
 *     protocol_data => STRING
 *     members => member_id client_id client_host member_metadata member_assignment
 *       member_id => STRING
 *       client_id => STRING
 *       client_host => STRING
 *       member_metadata => BYTES
 *       member_assignment => BYTES
 * DescribeGroups Response (Version: 1-2) => throttle_time_ms [groups]
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface DescribeGroupsRequest {
  groups: string[]
}

export interface DescribedGroupMember {
  memberId: string
  clientId: string
  clientHost: string
  memberMetadata: Buffer
  memberAssignment: Buffer
}

export interface DescribedGroup {
  errorCode: number
  groupId: string
  /** Dead, Empty, PreparingRebalance, CompletingRebalance, Stable. */
  groupState: string
  protocolType: string
  /** The chosen protocol (assignor) name. */
  protocolData: string
  members: DescribedGroupMember[]
}

export interface DescribeGroupsResponse {
  /** v1+; defaults to 0. */
  throttleTimeMs?: number
  groups: DescribedGroup[]
}

export const describeGroups = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 2,

  decodeRequest (_v: number, r: Reader): DescribeGroupsRequest {
    return { groups: r.stringArray('groups') }
  },

  encodeRequest (_v: number, req: DescribeGroupsRequest, w: Writer): void {
    w.stringArray(req.groups)
  },

  encodeResponse (v: number, res: DescribeGroupsResponse, w: Writer): void {
    if (v >= 1) w.int32(res.throttleTimeMs ?? 0)
    w.array(res.groups, (w, g) => {
      w.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData)
      w.array(g.members, (w, m) => {
        w.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment)
      })
    })
  },

  decodeResponse (v: number, r: Reader): DescribeGroupsResponse {
    const res: DescribeGroupsResponse = { groups: [] }
    if (v >= 1) res.throttleTimeMs = r.int32('throttle_time_ms')
    res.groups = r.array('groups', (r) => ({
      errorCode: r.int16('error_code'),
      groupId: r.string('group_id'),
      groupState: r.string('group_state'),
      protocolType: r.string('protocol_type'),
      protocolData: r.string('protocol_data'),
      members: r.array('members', (r) => ({
        memberId: r.string('member_id'),
        clientId: r.string('client_id'),
        clientHost: r.string('client_host'),
        memberMetadata: r.bytes('member_metadata'),
        memberAssignment: r.bytes('member_assignment'),
      }), 14),
    }), 16)
    return res
  },
})
