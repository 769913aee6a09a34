import type { Clock } from '../../common/clock.ts'
import type { Member } from './member.ts'

/**
 * Member session expiry over the injected clock: one timer per member, re-armed when it fires
 * before the deadline, so a heartbeat only moves a number instead of replacing a timer.
 */
export class Sessions {
  readonly #clock: Clock
  readonly #onExpire: (member: Member) => void

  constructor (clock: Clock, onExpire: (member: Member) => void) {
    this.#clock = clock
    this.#onExpire = onExpire
  }

  /** Every request from a member pushes its session deadline out by its session timeout. */
  touch (member: Member): void {
    member.sessionDeadline = this.#clock.now() + member.sessionTimeoutMs
    // Re-create the timer only when the deadline moved earlier (smaller timeout on rejoin).
    if (member.sessionTimer === null || member.sessionDeadline < member.sessionTimerAt) this.#arm(member, member.sessionTimeoutMs)
  }

  stop (member: Member): void {
    member.sessionTimer?.cancel()
    member.sessionTimer = null
  }

  #arm (member: Member, ms: number): void {
    member.sessionTimer?.cancel()
    member.sessionTimerAt = this.#clock.now() + ms
    member.sessionTimer = this.#clock.setTimeout(() => { this.#fired(member) }, ms)
  }

  #fired (member: Member): void {
    member.sessionTimer = null
    const now = this.#clock.now()
    // A member with a held JoinGroup/SyncGroup is alive by definition (Kafka's shouldKeepAlive);
    // its deadline is refreshed again when that request is answered.
    if (member.awaitingJoin || member.awaitingSync) {
      member.sessionDeadline = now + member.sessionTimeoutMs
      this.#arm(member, member.sessionTimeoutMs)
    } else if (now < member.sessionDeadline) {
      this.#arm(member, member.sessionDeadline - now)
    } else {
      this.#onExpire(member)
    }
  }
}
