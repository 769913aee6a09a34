/**
 * Deliberately broken rules, injected as network interceptors (network.ts `intercept`) that
 * rewrite the ring messages a chosen replica receives: the replica's code stays untouched, but
 * what it merges is what a broken merge rule would have produced. The tests use them to show
 * that each invariant can fail.
 */
import { decodeMessage, encodeMessage } from '../ring/codec/index.ts'
import type { RingState } from '../ring/model.ts'
import type { Interceptor } from './network.ts'

/** Rewrites every decodable ring message (delta, pushed or answered full state) delivered to a node `to` selects. */
export function rewriteIncoming (to: (id: string) => boolean, rewrite: (s: RingState) => RingState): Interceptor {
  return ({ to: target, bytes }) => {
    if (!to(target)) return bytes
    let msg
    try {
      msg = decodeMessage(bytes)
    } catch {
      return bytes
    }
    return encodeMessage({ kind: msg.kind, state: rewrite(msg.state) })
  }
}

/** A merge that keeps remote partition promotions out: every incoming `active` partition reads as `pending`. */
export function activeReadsAsPending (s: RingState): RingState {
  const partitions = new Map([...s.partitions].map(([id, p]) => [id, p.state.value === 'active' ? { ...p, state: { ...p.state, value: 'pending' as const } } : p]))
  return { ...s, partitions }
}

/** A merge that misreads owner timestamps an hour into the past (so owners look settled at once). */
export function ownersAnHourOlder (s: RingState): RingState {
  const owners = new Map([...s.owners].map(([k, o]) => [k, { ...o, ts: { wall: o.ts.wall - 3_600_000, logical: o.ts.logical } }]))
  return { ...s, owners }
}

/** A merge that never hears of deletions: incoming tombstones are dropped. */
export function tombstonesIgnored (s: RingState): RingState {
  return {
    partitions: new Map([...s.partitions].filter(([, p]) => p.state.value !== 'deleted')),
    owners: new Map([...s.owners].filter(([, o]) => o.value.state !== 'deleted')),
    members: new Map([...s.members].filter(([, m]) => m.info.value.state !== 'left')),
  }
}
