import type { Timer } from '../../common/clock.ts'
import type { GroupProtocol, JoinGroupRequest, JoinGroupResult, SyncGroupResult } from './types.ts'

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0)

/**
 * One member of a group (Kafka's MemberMetadata): what it supports, what it was assigned, and the
 * JoinGroup/SyncGroup answers it is waiting for. The group owns the session timer fields.
 */
export class Member {
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  protocolType: string
  protocols: GroupProtocol[]
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  assignment: Buffer = EMPTY_BUFFER
  /** Set while a JoinGroup from this member is held until the join phase completes. */
  joinWaiter: ((result: JoinGroupResult) => void) | null = null
  /** Set while a SyncGroup from this member waits for the leader's assignment. */
  syncWaiter: ((result: SyncGroupResult) => void) | null = null
  /** The session ends at this clock time unless refreshed by a request. */
  sessionDeadline = 0
  sessionTimer: Timer | null = null
  /** When `sessionTimer` fires (it may fire before the deadline, which is then re-armed). */
  sessionTimerAt = 0

  constructor (memberId: string, req: JoinGroupRequest) {
    this.memberId = memberId
    this.groupInstanceId = req.groupInstanceId ?? null
    this.clientId = req.clientId
    this.clientHost = req.clientHost
    this.protocolType = req.protocolType
    this.protocols = copyProtocols(req.protocols)
    this.sessionTimeoutMs = req.sessionTimeoutMs
    this.rebalanceTimeoutMs = rebalanceTimeoutOf(req)
  }

  get awaitingJoin (): boolean { return this.joinWaiter !== null }
  get awaitingSync (): boolean { return this.syncWaiter !== null }

  /** A rejoin replaces what the member supports and its timeouts (Kafka's updateMember). */
  update (req: JoinGroupRequest): void {
    this.protocolType = req.protocolType
    this.protocols = copyProtocols(req.protocols)
    this.sessionTimeoutMs = req.sessionTimeoutMs
    this.rebalanceTimeoutMs = rebalanceTimeoutOf(req)
  }

  supports (protocolName: string): boolean {
    return this.protocols.some((p) => p.name === protocolName)
  }

  metadataFor (protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BUFFER
  }

  /** Same protocols with the same metadata in the same order: a rejoin that changes nothing. */
  matches (protocols: GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    return protocols.every((p, i) => {
      const mine = this.protocols[i]
      return mine !== undefined && mine.name === p.name && mine.metadata.equals(p.metadata)
    })
  }

  /** The member's most preferred protocol among the candidates (Kafka's vote). */
  vote (candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((p) => candidates.has(p.name))?.name
  }

  /** Answers a held JoinGroup; a later one replaces it. Returns whether one was held. */
  resolveJoin (result: JoinGroupResult): boolean {
    const waiter = this.joinWaiter
    this.joinWaiter = null
    waiter?.(result)
    return waiter !== null
  }

  resolveSync (result: SyncGroupResult): boolean {
    const waiter = this.syncWaiter
    this.syncWaiter = null
    waiter?.(result)
    return waiter !== null
  }
}

// Decoded buffers may be slices of a whole request frame: copy so a long-lived member does not
// keep the frame alive.
function copyProtocols (protocols: GroupProtocol[]): GroupProtocol[] {
  return protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }))
}

function rebalanceTimeoutOf (req: JoinGroupRequest): number {
  return Number.isFinite(req.rebalanceTimeoutMs) && req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs
}
