/**
 * What a replica counts: plain numbers for tests and the status page, mirrored to the
 * Prometheus metrics when node/ passes a registry.
 */
import { rejectReasons } from './gossip-validate.ts'
import type { RejectReason } from './gossip-validate.ts'
import type { RingMetrics } from './metrics.ts'
import type { RingState } from './model.ts'
import { partitionStates } from './states.ts'

type Kind = 'delta' | 'full'

export class GossipStats {
  metrics: RingMetrics | undefined
  readonly rejected = Object.fromEntries(rejectReasons.map((r) => [r, 0])) as Record<RejectReason, number>
  readonly messagesIn = { delta: 0, full: 0 }
  readonly messagesOut = { delta: 0, full: 0 }
  publishFailed = 0
  /** Received deltas and full states merged, and how many of them changed the ring. */
  merges = 0
  changingMerges = 0
  exchanges = 0
  failedExchanges = 0

  received (kind: Kind, bytes: number): void {
    this.messagesIn[kind]++
    this.metrics?.messages.inc({ direction: 'in', kind })
    this.metrics?.bytes.inc({ direction: 'in', kind }, bytes)
  }

  sent (kind: Kind, bytes: number): void {
    this.messagesOut[kind]++
    this.metrics?.messages.inc({ direction: 'out', kind })
    this.metrics?.bytes.inc({ direction: 'out', kind }, bytes)
  }

  reject (reason: RejectReason): void {
    this.rejected[reason]++
    this.metrics?.rejected.inc({ reason })
  }

  merged (changed: boolean): void {
    this.merges++
    if (changed) this.changingMerges++
    this.metrics?.merges.inc({ changed: String(changed) })
  }

  exchange (ok: boolean): void {
    this.exchanges++
    if (!ok) this.failedExchanges++
    this.metrics?.antiEntropy.inc({ result: ok ? 'ok' : 'failed' })
  }

  /** Refreshes the per-state partition gauge after a change. */
  observe (state: RingState): void {
    if (this.metrics === undefined) return
    const counts = new Map<string, number>(partitionStates.map((s) => [s, 0]))
    for (const p of state.partitions.values()) {
      if (p.state.value !== 'deleted') counts.set(p.state.value, (counts.get(p.state.value) ?? 0) + 1)
    }
    for (const [s, n] of counts) this.metrics.partitions.set({ state: s }, n)
  }

  /** The total of rejected messages over every reason. */
  get rejectedTotal (): number {
    return Object.values(this.rejected).reduce((a, b) => a + b, 0)
  }
}
