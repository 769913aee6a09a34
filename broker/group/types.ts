/**
 * The plain objects exchanged between the server's group handlers and the coordinator. Field names
 * follow the decoded wire requests (camelCase); error codes are Kafka's numbers (protocol/error-codes.ts).
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface GroupProtocol {
  name: string
  metadata: Buffer
}

export interface JoinGroupRequest {
  groupId: string
  /** '' for a member joining for the first time. */
  memberId: string
  groupInstanceId?: string | null
  sessionTimeoutMs: number
  /** JoinGroup v0 has no rebalance timeout: pass `sessionTimeoutMs` (as Kafka does). */
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: GroupProtocol[]
  clientId: string
  clientHost: string
  /**
   * JoinGroup v4+ without a groupInstanceId (KIP-394): a new member first gets MEMBER_ID_REQUIRED
   * with its id and must join again with it. Defaults to false (v0–v3 behaviour).
   */
  requireKnownMemberId?: boolean
}

export interface JoinGroupMember {
  memberId: string
  groupInstanceId: string | null
  metadata: Buffer
}

export interface JoinGroupResult {
  errorCode: number
  generationId: number
  protocolName: string
  leaderId: string
  memberId: string
  /** Every member with its metadata for `protocolName`, in the leader's answer only. */
  members: JoinGroupMember[]
}

export interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
  /** The leader's assignment for every member; followers send []. */
  assignments: { memberId: string, assignment: Buffer }[]
}

export interface SyncGroupResult {
  errorCode: number
  assignment: Buffer
}

export interface HeartbeatRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
}

export interface LeaveGroupRequest {
  groupId: string
  memberId: string
}

export interface CommitValidationRequest {
  groupId: string
  /** -1 (with memberId '') for a "simple" commit from a consumer outside group management. */
  generationId: number
  memberId: string
}

export interface DescribedMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  /** Metadata for the chosen protocol; empty unless the group is Stable (as Kafka). */
  metadata: Buffer
  /** Empty unless the group is Stable (as Kafka). */
  assignment: Buffer
}

export interface GroupDescription {
  errorCode: number
  groupId: string
  state: GroupState
  protocolType: string
  /** The chosen protocol; '' unless the group is Stable (as Kafka). */
  protocol: string
  members: DescribedMember[]
  /** Not on the wire: for logs, tests and debugging. */
  generationId: number
  /** Not on the wire: '' when the group has no leader. */
  leaderId: string
}

export interface RebalanceEvent {
  groupId: string
  generationId: number
  /** null when the rebalance left the group Empty. */
  protocolName: string | null
  members: number
  durationMs: number
}

export type MembershipChange = 'joined' | 'left' | 'session-timeout' | 'rebalance-timeout'

export interface MembershipChangeEvent {
  groupId: string
  memberId: string
  change: MembershipChange
  /** Members in the group after the change. */
  members: number
}

/** Optional observers (metrics); exceptions they throw are logged and ignored. */
export interface GroupHooks {
  onRebalance?: (event: RebalanceEvent) => void
  onMembershipChange?: (event: MembershipChangeEvent) => void
}
