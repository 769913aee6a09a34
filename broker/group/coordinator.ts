import { randomUUID } from 'node:crypto'
import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import { KafkaError as ErrorCode } from '../protocol/error-codes.ts'
import { Group, joinError } from './group.ts'
import type {
  CommitValidationRequest, GroupDescription, GroupHooks, GroupState, HeartbeatRequest, JoinGroupRequest, JoinGroupResult,
  LeaveGroupRequest, SyncGroupRequest, SyncGroupResult,
} from './types.ts'

export interface GroupCoordinatorOptions extends GroupHooks {
  clock: Clock
  logger: Logger
  /** Kafka group.initial.rebalance.delay.ms (3000 there; the broker config defaults it to 0). */
  initialRebalanceDelayMs?: number
  /** Kafka group.min.session.timeout.ms. */
  minSessionTimeoutMs?: number
  /** Kafka group.max.session.timeout.ms. */
  maxSessionTimeoutMs?: number
  /** The unique part of new member ids (`${clientId}-${id}`); randomUUID by default. */
  idGenerator?: () => string
}

/**
 * The consumer-group coordinator (Kafka's GroupCoordinator): validates requests, creates groups on
 * first join and routes to each group's state machine (group.ts). Pure logic over the injected
 * clock; it persists nothing. After `stop()` every call answers COORDINATOR_NOT_AVAILABLE.
 */
export class GroupCoordinator {
  readonly #groups = new Map<string, Group>()
  readonly #opts: Required<Pick<GroupCoordinatorOptions, 'initialRebalanceDelayMs' | 'minSessionTimeoutMs' | 'maxSessionTimeoutMs' | 'idGenerator'>>
  readonly #ctx: ConstructorParameters<typeof Group>[1]
  #stopped = false

  constructor (opts: GroupCoordinatorOptions) {
    this.#opts = {
      initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 0,
      minSessionTimeoutMs: opts.minSessionTimeoutMs ?? 6000,
      maxSessionTimeoutMs: opts.maxSessionTimeoutMs ?? 1_800_000,
      idGenerator: opts.idGenerator ?? randomUUID,
    }
    const hooks: GroupHooks = {}
    if (opts.onRebalance !== undefined) hooks.onRebalance = opts.onRebalance
    if (opts.onMembershipChange !== undefined) hooks.onMembershipChange = opts.onMembershipChange
    this.#ctx = { clock: opts.clock, logger: opts.logger, initialRebalanceDelayMs: this.#opts.initialRebalanceDelayMs, hooks }
  }

  /** Held until the join phase completes (as Kafka holds the JoinGroup response). */
  joinGroup (req: JoinGroupRequest): Promise<JoinGroupResult> {
    if (req.groupId === '') return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId))
    if (this.#stopped) return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId))
    if (!(req.sessionTimeoutMs >= this.#opts.minSessionTimeoutMs && req.sessionTimeoutMs <= this.#opts.maxSessionTimeoutMs)) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId))
    }
    let group = this.#groups.get(req.groupId)
    if (group === undefined) {
      if (req.memberId !== '') return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
      group = this.#createGroup(req.groupId)
    }
    return group.join(req, () => `${req.clientId}-${this.#opts.idGenerator()}`)
  }

  /** A follower's answer is held until the leader's SyncGroup arrives (or a rebalance starts). */
  syncGroup (req: SyncGroupRequest): Promise<SyncGroupResult> {
    const early = this.#precheck(req.groupId)
    if (early !== null) return Promise.resolve({ errorCode: early, assignment: Buffer.alloc(0) })
    const group = this.#groups.get(req.groupId)
    if (group === undefined) return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) })
    return group.sync(req)
  }

  heartbeat (req: HeartbeatRequest): number {
    const early = this.#precheck(req.groupId)
    if (early !== null) return early
    return this.#groups.get(req.groupId)?.heartbeat(req.memberId, req.generationId) ?? ErrorCode.UNKNOWN_MEMBER_ID
  }

  leaveGroup (req: LeaveGroupRequest): number {
    const early = this.#precheck(req.groupId)
    if (early !== null) return early
    return this.#groups.get(req.groupId)?.leave(req.memberId) ?? ErrorCode.UNKNOWN_MEMBER_ID
  }

  /**
   * OffsetCommit's group checks (Kafka's handleCommitOffsets); NONE means the caller may store the
   * offsets. A commit with generationId < 0 is a "simple" commit from a consumer that does not use
   * group management: allowed for an unknown or Empty group (which it creates, as Kafka does).
   */
  validateCommit (req: CommitValidationRequest): number {
    // Kafka accepts an empty group id for offset APIs (only null is invalid).
    if (this.#stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    let group = this.#groups.get(req.groupId)
    if (group === undefined) {
      if (req.generationId >= 0) return ErrorCode.ILLEGAL_GENERATION
      group = this.#createGroup(req.groupId)
    }
    return group.validateCommit(req.memberId, req.generationId)
  }

  /** An unknown group is described as Dead with no error, as Kafka does. */
  describeGroup (groupId: string): GroupDescription {
    if (this.#stopped) return { ...deadGroup(groupId), errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
    return this.#groups.get(groupId)?.describe() ?? deadGroup(groupId)
  }

  /** For ListGroups and metrics. */
  listGroups (): { groupId: string, protocolType: string, state: GroupState }[] {
    return [...this.#groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.state }))
  }

  /** DeleteGroups: only an Empty group can be deleted (it goes Dead and is forgotten). */
  deleteGroup (groupId: string): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID
    if (this.#stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const group = this.#groups.get(groupId)
    if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND
    if (group.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP
    group.shutdown(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Dead')
    this.#groups.delete(groupId)
    this.#ctx.logger.info({ groupId }, 'group deleted')
    return ErrorCode.NONE
  }

  /**
   * Cancels every timer and answers every held JoinGroup/SyncGroup with COORDINATOR_NOT_AVAILABLE,
   * so the server's connections can close cleanly. Safe to call twice.
   */
  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    for (const group of this.#groups.values()) group.shutdown(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Dead')
    this.#groups.clear()
  }

  #precheck (groupId: string): number | null {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID
    if (this.#stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    return null
  }

  #createGroup (groupId: string): Group {
    const group = new Group(groupId, this.#ctx)
    this.#groups.set(groupId, group)
    return group
  }
}

function deadGroup (groupId: string): GroupDescription {
  return { errorCode: ErrorCode.NONE, groupId, state: 'Dead', protocolType: '', protocol: '', members: [], generationId: -1, leaderId: '' }
}
