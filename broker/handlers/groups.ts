import { KafkaError } from '../protocol/error-codes.ts'
import { CoordinatorType } from '../protocol/apis/index.ts'
import type {
  DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest, FindCoordinatorResponse, HeartbeatRequest,
  HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
} from '../protocol/apis/index.ts'
import type { Handler } from './context.ts'

/** This broker coordinates every group; transactions are not offered. */
export const handleFindCoordinator: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = (ctx, req) => {
  const self = ctx.advertised()
  if (req.keyType !== CoordinatorType.GROUP) {
    return { throttleTimeMs: 0, errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE, errorMessage: 'transactions are not supported', nodeId: -1, host: '', port: -1 }
  }
  return { throttleTimeMs: 0, errorCode: KafkaError.NONE, errorMessage: null, nodeId: self.nodeId, host: self.host, port: self.port }
}

/**
 * JoinGroup: held until the join phase completes (group/). From v4 a new member without a
 * group instance id first gets MEMBER_ID_REQUIRED with its id and rejoins (KIP-394).
 */
export const handleJoinGroup: Handler<JoinGroupRequest, JoinGroupResponse> = async (ctx, req, info) => {
  const r = await ctx.groups.joinGroup({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
    clientId: info.header.clientId ?? '',
    clientHost: info.conn.remote,
    requireKnownMemberId: info.version >= 4 && req.groupInstanceId === null,
  })
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolName: r.protocolName,
    leader: r.leaderId,
    memberId: r.memberId,
    members: r.members,
  }
}

export const handleSyncGroup: Handler<SyncGroupRequest, SyncGroupResponse> = async (ctx, req) => {
  const r = await ctx.groups.syncGroup(req)
  return { throttleTimeMs: 0, errorCode: r.errorCode, assignment: r.assignment }
}

export const handleHeartbeat: Handler<HeartbeatRequest, HeartbeatResponse> = (ctx, req) =>
  ({ throttleTimeMs: 0, errorCode: ctx.groups.heartbeat(req) })

export const handleLeaveGroup: Handler<LeaveGroupRequest, LeaveGroupResponse> = (ctx, req) =>
  ({ throttleTimeMs: 0, errorCode: ctx.groups.leaveGroup(req) })

export const handleDescribeGroups: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = (ctx, req) => ({
  throttleTimeMs: 0,
  groups: req.groups.map((id) => {
    const g = ctx.groups.describeGroup(id)
    return {
      errorCode: g.errorCode,
      groupId: id,
      groupState: g.state,
      protocolType: g.protocolType,
      protocolData: g.protocol,
      members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
    }
  }),
})
