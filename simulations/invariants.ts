/**
 * The invariants checked on every ring change of every replica (event-driven, so nothing
 * between two samples is missed). Each looks at what a replica holds, never at what the
 * scenario meant to happen:
 *
 * - resurrection: a replica that held a tombstone (deleted partition, deleted owner, member
 *   that left) must never later hold a live value older than that tombstone. Merges never do
 *   this; a tombstone dropped by GC and the old value pushed back by a replica that never saw
 *   the delete does (cortex#4010, ring-crdt.md §6.2). A restarted node is a new replica.
 * - promotion: a node that promotes a partition pending → active must, at that moment, see at
 *   least `min_partition_owners_count` owners registered at least
 *   `min_partition_owners_duration` earlier in true (virtual) time, within the clock skew the
 *   scenario allows.
 * - rogue: a register written by the rogue peer and adopted by an honest replica must be one
 *   the lifecycle lets any member write (ring/edits.ts): its own owner and member entries, a
 *   partition created as pending, an allowed state transition, the deletion of an unlocked,
 *   inactive, ownerless partition; and no timestamp beyond `max_clock_skew` of true time.
 */
import type { RingEventMap } from '../ring/events.ts'
import { compareHlc } from '../ring/hlc.ts'
import type { Hlc } from '../ring/hlc.ts'
import type { RingState } from '../ring/model.ts'
import { ownersOf } from '../ring/read.ts'
import { compareStamps } from '../ring/register.ts'
import type { Stamp } from '../ring/register.ts'
import { canTransition } from '../ring/states.ts'
import type { Incarnation, SimNode } from './node.ts'

export const invariantNames = ['convergence', 'resurrection', 'availability', 'promotion', 'rogue', 'error'] as const
export type InvariantName = typeof invariantNames[number]

export interface Violation {
  /** Virtual ms since the start of the run. */
  t: number
  invariant: InvariantName
  node?: string
  detail: string
}

export type Report = (v: Omit<Violation, 't'>) => void

type Change = RingEventMap['ring:changed']

const fmt = (ts: Hlc): string => `${ts.wall}.${ts.logical}`

/** Remembers each incarnation's previous state, so checks can see what an event changed. */
export class PreviousStates {
  readonly #last = new WeakMap<Incarnation, RingState>()

  /** The state before `detail` (undefined for an incarnation's first change), then records the new one. */
  advance (node: SimNode, detail: Change): RingState | undefined {
    const inc = node.incarnation
    if (inc === undefined) return undefined
    const prev = this.#last.get(inc)
    this.#last.set(inc, detail.state)
    return prev
  }
}

export class ResurrectionCheck {
  readonly #tombs = new WeakMap<Incarnation, Map<string, Stamp>>()

  observe (node: SimNode, detail: Change, report: Report): void {
    const inc = node.incarnation
    if (inc === undefined) return
    let tombs = this.#tombs.get(inc)
    if (tombs === undefined) this.#tombs.set(inc, tombs = new Map())
    const see = (key: string, reg: Stamp, dead: boolean, what: string): void => {
      const tomb = tombs.get(key)
      if (dead) {
        if (tomb === undefined || compareStamps(reg, tomb) > 0) tombs.set(key, { ts: reg.ts, writer: reg.writer })
      } else if (tomb !== undefined && compareStamps(reg, tomb) < 0) {
        report({ invariant: 'resurrection', node: node.id, detail: `${what} came back (${fmt(reg.ts)} by ${reg.writer}) after this replica held its deletion (${fmt(tomb.ts)} by ${tomb.writer})` })
      }
    }
    for (const p of detail.delta.partitions.values()) see(`p${p.id}`, p.state, p.state.value === 'deleted', `partition ${p.id}`)
    for (const [k, o] of detail.delta.owners) see(`o${k}`, o, o.value.state === 'deleted', `owner ${o.ownerId} of partition ${o.partition}`)
    for (const m of detail.delta.members.values()) see(`m${m.nodeId}`, m.info, m.info.value.state === 'left', `member ${m.nodeId}`)
  }
}

export interface PromotionRules {
  minOwners: number
  minOwnersDurationMs: number
  /** The largest clock skew the scenario gives any node (owners' stamps may be off by it). */
  skewToleranceMs: number
}

export class PromotionCheck {
  /** True time of each owner registration, by `ownerKey@stamp`. */
  readonly #registered = new Map<string, number>()
  readonly #rules: PromotionRules
  promotions = 0

  constructor (rules: PromotionRules) {
    this.#rules = rules
  }

  observe (node: SimNode, detail: Change, prev: RingState | undefined, trueNow: number, report: Report): void {
    if (detail.source !== 'local') return
    for (const [k, o] of detail.delta.owners) {
      if (o.value.state === 'active' && o.ownerId === node.id) this.#registered.set(`${k}@${fmt(o.ts)}`, trueNow)
    }
    for (const p of detail.delta.partitions.values()) {
      if (p.state.value !== 'active' || prev?.partitions.get(p.id)?.state.value !== 'pending') continue
      this.promotions++
      const { minOwners, minOwnersDurationMs, skewToleranceMs } = this.#rules
      const owners = ownersOf(detail.state, p.id)
      const ages = owners.map((o) => {
        const at = this.#registered.get(`${o.ownerId}/${p.id}@${fmt(o.since)}`)
        // Whole milliseconds, as every node's clock reads (NodeClock floors like Date.now()).
        return { id: o.ownerId, age: at === undefined ? undefined : Math.floor(trueNow) - Math.floor(at) }
      })
      const settled = ages.filter((a) => a.age !== undefined && a.age + skewToleranceMs >= minOwnersDurationMs)
      if (settled.length < minOwners) {
        const list = ages.map((a) => `${a.id} ${a.age === undefined ? 'never registered' : `${a.age} ms`}`).join(', ') || 'none'
        report({ invariant: 'promotion', node: node.id, detail: `promoted partition ${p.id} with ${settled.length} settled owner(s), ${minOwners} required (owners: ${list})` })
      }
    }
  }
}

export class RogueCheck {
  readonly rogueId: string
  readonly #maxSkewMs: number
  /** Registers written by the rogue that honest replicas adopted, allowed or not. */
  adopted = 0

  constructor (rogueId: string, maxSkewMs: number) {
    this.rogueId = rogueId
    this.#maxSkewMs = maxSkewMs
  }

  observe (node: SimNode, detail: Change, prev: RingState | undefined, trueNow: number, report: Report): void {
    // Only honest replicas are judged: the suspect re-learning its own old writes (after a
    // restart) proves nothing.
    if (detail.source !== 'remote' || node.id === this.rogueId) return
    const r = this.rogueId
    const bad = (what: string): void => report({ invariant: 'rogue', node: node.id, detail: `adopted the rogue's ${what}` })
    const future = (ts: Hlc): boolean => ts.wall > trueNow + this.#maxSkewMs
    for (const o of detail.delta.owners.values()) {
      if (o.writer !== r) continue
      this.adopted++
      if (o.ownerId !== r) bad(`write of ${o.ownerId}'s owner entry (partition ${o.partition})`)
      if (future(o.ts)) bad(`owner entry stamped ${fmt(o.ts)}, beyond max_clock_skew`)
    }
    for (const m of detail.delta.members.values()) {
      if (m.info.writer !== r && m.heartbeat.writer !== r) continue
      this.adopted++
      if (m.nodeId !== r) bad(`write of ${m.nodeId}'s member entry`)
      if (future(m.info.ts) || future(m.heartbeat.ts)) bad(`member entry stamped beyond max_clock_skew`)
    }
    for (const p of detail.delta.partitions.values()) {
      const before = prev?.partitions.get(p.id)
      const stateByRogue = p.state.writer === r && (before === undefined || compareHlc(before.state.ts, p.state.ts) !== 0 || before.state.writer !== r)
      const lockByRogue = p.locked.writer === r && (before === undefined || compareHlc(before.locked.ts, p.locked.ts) !== 0 || before.locked.writer !== r)
      if (!stateByRogue && !lockByRogue) continue
      this.adopted++
      if ((stateByRogue && future(p.state.ts)) || (lockByRogue && future(p.locked.ts))) bad(`partition ${p.id} register stamped beyond max_clock_skew`)
      if (!stateByRogue) continue
      const from = before === undefined || before.state.value === 'deleted' ? undefined : before.state.value
      const to = p.state.value
      if (from === undefined) {
        if (to !== 'pending') bad(`creation of partition ${p.id} as ${to} (only pending is allowed)`)
      } else if (to === 'deleted') {
        const owned = prev === undefined ? 0 : ownersOf(prev, p.id).length
        if (from !== 'inactive' || owned > 0 || before?.locked.value === true) bad(`deletion of ${from} partition ${p.id} with ${owned} live owner(s)`)
      } else if (from !== to) {
        if (!canTransition(from, to) || before?.locked.value === true) bad(`transition of partition ${p.id} ${from} → ${to}`)
      }
    }
  }
}
