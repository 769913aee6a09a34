import type { Clock, Timer } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import { KafkaError as ErrorCode } from '../protocol/error-codes.ts'
import { JoinTimer } from './join-timer.ts'
import { EMPTY_BUFFER, Member } from './member.ts'
import { selectProtocol, supportsProtocols } from './protocols.ts'
import { Sessions } from './sessions.ts'
import type {
  GroupDescription, GroupHooks, GroupState, JoinGroupRequest, JoinGroupResult, MembershipChange, SyncGroupRequest, SyncGroupResult,
} from './types.ts'

export interface GroupContext {
  clock: Clock
  logger: Logger
  initialRebalanceDelayMs: number
  hooks: GroupHooks
}

/** The answer to a JoinGroup that failed (Kafka's JoinGroupResult(memberId, error)). */
export function joinError (errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] }
}

/**
 * One consumer group's state machine, after Kafka's GroupCoordinator/GroupMetadata:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance ──leader sync──▶ Stable
 *                          ▲                                              │                             │
 *                          └───────── join, leave, session expiry ────────┴─────────────────────────────┘
 *
 * JoinGroup and SyncGroup answers are held as promises until the phase they wait for ends. Every
 * timer comes from the injected clock: one session timer per member (sessions.ts), one per id
 * handed out with MEMBER_ID_REQUIRED, and one join timer (join-timer.ts).
 */
export class Group {
  readonly groupId: string
  readonly #ctx: GroupContext
  #state: GroupState = 'Empty'
  #generationId = 0
  #protocolType: string | null = null
  #protocolName: string | null = null
  #leaderId: string | null = null
  readonly #members = new Map<string, Member>()
  /** Ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry timers. */
  readonly #pending = new Map<string, Timer>()
  readonly #joinTimer: JoinTimer
  readonly #sessions: Sessions
  #rebalanceStartedAt = 0

  constructor (groupId: string, ctx: GroupContext) {
    this.groupId = groupId
    this.#ctx = ctx
    this.#joinTimer = new JoinTimer(ctx.clock, ctx.initialRebalanceDelayMs)
    this.#sessions = new Sessions(ctx.clock, (m) => { this.#onSessionExpired(m) })
  }

  get state (): GroupState { return this.#state }
  get generationId (): number { return this.#generationId }

  join (req: JoinGroupRequest, newMemberId: () => string): Promise<JoinGroupResult> {
    if (this.#state === 'Dead') return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId))
    const joiningId = req.memberId === '' ? null : req.memberId
    if (!supportsProtocols(this.#members.values(), this.#protocolType, joiningId, req.protocolType, req.protocols)) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId))
    }
    if (joiningId === null) {
      const memberId = newMemberId()
      if (req.requireKnownMemberId === true && (req.groupInstanceId ?? null) === null) {
        this.#addPending(memberId, req.sessionTimeoutMs)
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId))
      }
      return this.#addMemberAndRebalance(memberId, req)
    }
    const pendingTimer = this.#pending.get(joiningId)
    if (pendingTimer !== undefined) {
      pendingTimer.cancel()
      this.#pending.delete(joiningId)
      return this.#addMemberAndRebalance(joiningId, req)
    }
    const member = this.#members.get(joiningId)
    if (member === undefined) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
    this.#touch(member)
    switch (this.#state) {
      case 'CompletingRebalance':
        // It lost our answer: give it again, unless what it supports changed.
        if (member.matches(req.protocols)) return Promise.resolve(this.#joinResultFor(member))
        return this.#updateMemberAndRebalance(member, req)
      case 'Stable':
        // A follower with unchanged metadata just gets the current generation back; the leader
        // rejoining means it wants a new assignment (e.g. its metadata view changed).
        if (member.memberId !== this.#leaderId && member.matches(req.protocols)) return Promise.resolve(this.#joinResultFor(member))
        return this.#updateMemberAndRebalance(member, req)
      default:
        return this.#updateMemberAndRebalance(member, req)
    }
  }

  sync (req: SyncGroupRequest): Promise<SyncGroupResult> {
    const member = this.#members.get(req.memberId)
    if (this.#state === 'Dead') return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    if (member === undefined) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    if (req.generationId !== this.#generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION))
    if (this.#state === 'PreparingRebalance') return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
    this.#touch(member)
    if (this.#state === 'Stable') return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment })
    // CompletingRebalance: hold the answer until the leader's assignment arrives.
    member.resolveSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
    const answer = new Promise<SyncGroupResult>((resolve) => { member.syncWaiter = resolve })
    if (member.memberId === this.#leaderId) this.#completeSync(req.assignments)
    return answer
  }

  heartbeat (memberId: string, generationId: number): number {
    if (this.#state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const member = this.#members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== this.#generationId) return ErrorCode.ILLEGAL_GENERATION
    this.#touch(member)
    // PreparingRebalance is how members learn to rejoin. CompletingRebalance answers NONE as newer
    // Kafka does: the member already has this generation and is about to sync.
    return this.#state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE
  }

  leave (memberId: string): number {
    if (this.#state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const pendingTimer = this.#pending.get(memberId)
    if (pendingTimer !== undefined) {
      pendingTimer.cancel()
      this.#pending.delete(memberId)
      this.#tryCompleteJoin()
      return ErrorCode.NONE
    }
    const member = this.#members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    this.#ctx.logger.info({ groupId: this.groupId, memberId, generationId: this.#generationId }, 'member left group')
    this.#removeMember(member, 'left')
    this.#afterMemberRemoved(`member ${memberId} left`)
    return ErrorCode.NONE
  }

  /** Kafka's doCommitOffsets checks (the caller has handled an unknown group). */
  validateCommit (memberId: string, generationId: number): number {
    if (this.#state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (generationId < 0 && this.#state === 'Empty') return ErrorCode.NONE
    if (this.#state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS
    const member = this.#members.get(memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (generationId !== this.#generationId) return ErrorCode.ILLEGAL_GENERATION
    // Committing during PreparingRebalance is allowed: the member still owns its partitions until
    // it rejoins, and committing first is exactly what a consumer should do.
    this.#touch(member)
    return ErrorCode.NONE
  }

  describe (): GroupDescription {
    const stable = this.#state === 'Stable'
    return {
      errorCode: ErrorCode.NONE,
      groupId: this.groupId,
      state: this.#state,
      protocolType: this.#protocolType ?? '',
      protocol: stable ? this.#protocolName ?? '' : '',
      members: [...this.#members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(this.#protocolName) : EMPTY_BUFFER,
        assignment: stable ? m.assignment : EMPTY_BUFFER,
      })),
      generationId: this.#generationId,
      leaderId: this.#leaderId ?? '',
    }
  }

  get protocolType (): string { return this.#protocolType ?? '' }

  /**
   * Deletion (state Dead) or coordinator shutdown: cancels every timer and answers every held
   * request with `errorCode`, so no caller waits forever.
   */
  shutdown (errorCode: number, state: GroupState): void {
    this.#state = state
    this.#joinTimer.cancel()
    for (const t of this.#pending.values()) t.cancel()
    this.#pending.clear()
    for (const m of this.#members.values()) {
      this.#sessions.stop(m)
      m.resolveJoin(joinError(errorCode, m.memberId))
      m.resolveSync(syncError(errorCode))
    }
  }

  // ── membership ──────────────────────────────────────────────────────────────────────────────

  #addMemberAndRebalance (memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const member = new Member(memberId, req)
    const answer = new Promise<JoinGroupResult>((resolve) => { member.joinWaiter = resolve })
    this.#joinTimer.memberAdded()
    if (this.#members.size === 0) this.#protocolType = req.protocolType
    this.#members.set(memberId, member)
    this.#leaderId ??= memberId
    this.#touch(member)
    this.#notifyMembership(memberId, 'joined')
    this.#maybePrepareRebalance(`member ${memberId} joined`)
    this.#tryCompleteJoin()
    return answer
  }

  #updateMemberAndRebalance (member: Member, req: JoinGroupRequest): Promise<JoinGroupResult> {
    member.update(req)
    this.#touch(member)
    // A retried JoinGroup replaces the held one; answer the old so it is not left hanging.
    member.resolveJoin(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId))
    const answer = new Promise<JoinGroupResult>((resolve) => { member.joinWaiter = resolve })
    this.#maybePrepareRebalance(`member ${member.memberId} rejoined`)
    this.#tryCompleteJoin()
    return answer
  }

  #addPending (memberId: string, sessionTimeoutMs: number): void {
    // Kafka expires an id handed out with MEMBER_ID_REQUIRED if it does not come back in time.
    this.#pending.set(memberId, this.#ctx.clock.setTimeout(() => {
      this.#pending.delete(memberId)
      this.#tryCompleteJoin()
    }, sessionTimeoutMs))
  }

  #removeMember (member: Member, change: MembershipChange): void {
    this.#sessions.stop(member)
    this.#members.delete(member.memberId)
    // Held requests of a member that is gone: it must join again as a new member.
    member.resolveJoin(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId))
    member.resolveSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    if (this.#leaderId === member.memberId) this.#leaderId = this.#members.keys().next().value ?? null
    this.#notifyMembership(member.memberId, change)
  }

  #afterMemberRemoved (reason: string): void {
    if (this.#state === 'PreparingRebalance') this.#tryCompleteJoin()
    else this.#maybePrepareRebalance(reason)
  }

  // ── sessions ────────────────────────────────────────────────────────────────────────────────

  #touch (member: Member): void { this.#sessions.touch(member) }

  #onSessionExpired (member: Member): void {
    if (this.#members.get(member.memberId) !== member) return
    this.#ctx.logger.info({ groupId: this.groupId, memberId: member.memberId, generationId: this.#generationId, state: this.#state }, 'member session expired')
    this.#removeMember(member, 'session-timeout')
    this.#afterMemberRemoved(`member ${member.memberId} session expired`)
  }

  // ── rebalance ───────────────────────────────────────────────────────────────────────────────

  #maybePrepareRebalance (reason: string): void {
    if (this.#state === 'Empty' || this.#state === 'Stable' || this.#state === 'CompletingRebalance') this.#prepareRebalance(reason)
  }

  #prepareRebalance (reason: string): void {
    if (this.#state === 'CompletingRebalance') {
      // Kafka's resetAndPropagateAssignmentError: the held syncs are for a generation that will
      // never become Stable.
      for (const m of this.#members.values()) {
        m.assignment = EMPTY_BUFFER
        if (m.resolveSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS))) this.#touch(m)
      }
    }
    const wasEmpty = this.#state === 'Empty'
    this.#state = 'PreparingRebalance'
    this.#rebalanceStartedAt = this.#ctx.clock.now()
    // From Empty, wait for more members so consumers starting together share the first generation.
    if (wasEmpty) this.#joinTimer.startInitialDelay(this.#rebalanceTimeoutMs(), () => { this.#completeJoin() })
    else this.#joinTimer.startRebalanceTimeout(this.#rebalanceTimeoutMs(), () => { this.#completeJoin() })
    this.#ctx.logger.info({ groupId: this.groupId, generationId: this.#generationId, members: this.#members.size, reason }, 'rebalance started')
    // Kafka's tryCompleteElseWatch: e.g. the last member left, or every member is already waiting.
    this.#tryCompleteJoin()
  }

  #tryCompleteJoin (): void {
    if (this.#state !== 'PreparingRebalance' || this.#joinTimer.delaying || this.#pending.size > 0) return
    for (const m of this.#members.values()) if (!m.awaitingJoin) return
    this.#completeJoin()
  }

  /** Kafka's onCompleteJoin: drop who did not rejoin, start the next generation, answer the joins. */
  #completeJoin (): void {
    this.#joinTimer.cancel()
    for (const m of [...this.#members.values()]) {
      if (m.awaitingJoin) continue
      this.#ctx.logger.info({ groupId: this.groupId, memberId: m.memberId, generationId: this.#generationId }, 'member removed: did not rejoin within the rebalance timeout')
      this.#removeMember(m, 'rebalance-timeout')
    }
    this.#generationId++
    const members = [...this.#members.values()]
    if (members.length === 0) {
      this.#state = 'Empty'
      this.#protocolName = null
      this.#leaderId = null
    } else {
      this.#state = 'CompletingRebalance'
      this.#protocolName = selectProtocol(members)
      for (const m of members) {
        m.resolveJoin(this.#joinResultFor(m))
        this.#touch(m)
      }
    }
    const durationMs = this.#ctx.clock.now() - this.#rebalanceStartedAt
    this.#ctx.logger.info({
      groupId: this.groupId, generationId: this.#generationId, protocol: this.#protocolName, leaderId: this.#leaderId, members: members.map((m) => m.memberId), durationMs,
    }, 'rebalance completed')
    this.#safely(() => this.#ctx.hooks.onRebalance?.({ groupId: this.groupId, generationId: this.#generationId, protocolName: this.#protocolName, members: members.length, durationMs }))
  }

  /** The leader's SyncGroup: store every assignment, release the held syncs, become Stable. */
  #completeSync (assignments: SyncGroupRequest['assignments']): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]))
    this.#state = 'Stable'
    for (const m of this.#members.values()) {
      const a = byMember.get(m.memberId)
      m.assignment = a === undefined ? EMPTY_BUFFER : Buffer.from(a)
      if (m.resolveSync({ errorCode: ErrorCode.NONE, assignment: m.assignment })) this.#touch(m)
    }
    this.#ctx.logger.info({ groupId: this.groupId, generationId: this.#generationId, members: this.#members.size }, 'group stable')
  }

  #joinResultFor (member: Member): JoinGroupResult {
    const leaderId = this.#leaderId ?? ''
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.#generationId,
      protocolName: this.#protocolName ?? '',
      leaderId,
      memberId: member.memberId,
      members: member.memberId !== leaderId
        ? []
        : [...this.#members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(this.#protocolName) })),
    }
  }

  #rebalanceTimeoutMs (): number {
    let max = 0
    for (const m of this.#members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  #notifyMembership (memberId: string, change: MembershipChange): void {
    this.#safely(() => this.#ctx.hooks.onMembershipChange?.({ groupId: this.groupId, memberId, change, members: this.#members.size }))
  }

  #safely (fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.#ctx.logger.warn({ groupId: this.groupId, err }, 'group hook threw')
    }
  }
}

function syncError (errorCode: number): SyncGroupResult {
  return { errorCode, assignment: EMPTY_BUFFER }
}
