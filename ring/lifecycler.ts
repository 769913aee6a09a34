/**
 * The partition lifecycler, one per node (tempo-behaviour.md §4.3, dskit's partition instance
 * lifecycler), on top of the node's `RingReplica`:
 *
 * - start: once the replica has synced (pulled a peer's ring, or found none), register this node
 *   as a member, create each of its partitions as `pending` if absent (unless a downscale marker
 *   says not to), and register as the partition's owner for its zone. An unchanged owner entry
 *   keeps its old timestamp, so a restart does not reset the wait before promotion.
 * - every `heartbeat_period`: refresh the member heartbeat (liveness is separate from ownership).
 * - every `reconcile_period` (`reconcile(now)`): promote an owned partition `pending → active`
 *   once `min_partition_owners_count` owners have been registered for
 *   `min_partition_owners_duration`; delete any other partition inactive for
 *   `delete_inactive_partition_after` with no owner; re-register an ownership that vanished; then
 *   decide which owned partitions this node consumes (ownership.ts) and emit
 *   `partition:assigned` / `partition:revoked`, and `member:suspect` for heartbeats gone stale.
 * - stop: revoke every partition, let `releasePartitions` stop the readers, and only then publish
 *   the owner tombstones and the member's `left` entry (`remove_owner_on_shutdown`, or a prepared
 *   downscale; otherwise the node stays registered and its heartbeat expires), so a standby never
 *   starts consuming before this node has stopped.
 * Every ring change goes through the replica's serial queue (`replica.edit`).
 *
 * Consumer hand-over: a node that has just registered (less than `heartbeat_timeout` ago) does
 * not take a partition from another healthy owner even when it would win, so the incumbent sees
 * its heartbeat and steps back first. Ring views are eventually consistent, so a cut inside a
 * zone can still leave two nodes each believing it consumes; the per-zone Kafka consumer group
 * (ingest/kafka/pinned-partition-assigner.ts) is the fence that keeps them from both reading.
 */
import type { Clock, Timer } from '../common/clock.ts'
import { NotReadyError } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import { ServiceBase } from '../common/service.ts'
import type { RingConfig } from './config.ts'
import { ownedPartitions } from './config.ts'
import { checkReadyForDownscale, downscaleStatus, inactivatePartitions, reactivatePartitions } from './downscale.ts'
import type { PartitionDownscaleStatus } from './downscale.ts'
import { addOwner, createPartition, deletePartition, heartbeat, removeMember, removeOwner, setPartitionState, upsertMember } from './edits.ts'
import { RingEditError } from './errors.ts'
import type { RevokeReason } from './events.ts'
import type { RingReplica } from './gossip.ts'
import type { RingTx } from './gossip-tx.ts'
import type { RingMetrics } from './metrics.ts'
import { ownerKey } from './model.ts'
import type { RingState } from './model.ts'
import { consumerCandidates, healthyMembers } from './ownership.ts'
import type { HealthContext } from './ownership.ts'
import { getPartition, listPartitions, ownersOf } from './read.ts'

export type LifecyclerConfig = Pick<RingConfig, 'instance_id' | 'instance_zone' | 'partitions' | 'min_partition_owners_count' |
  'min_partition_owners_duration' | 'delete_inactive_partition_after' | 'remove_owner_on_shutdown' | 'heartbeat_period' |
  'heartbeat_timeout' | 'reconcile_period'>

export interface LifecyclerDeps {
  replica: RingReplica
  config: LifecyclerConfig
  clock: Clock
  logger?: Logger
  metrics?: RingMetrics
  /** False while a downscale marker exists (Tempo): own a partition only once someone else created it. */
  createPartitionOnStartup?: boolean
  /** Awaited on stop after `partition:revoked`, before the ownership is given up: stop the readers here. */
  releasePartitions?: (partitions: number[]) => Promise<void>
}

type ReconcileType = 'owned-partition' | 'other-partitions'

export class PartitionLifecycler extends ServiceBase {
  readonly name = 'ring-lifecycler'
  readonly nodeId: string
  readonly zone: string
  /** The partitions this node owns (config). */
  readonly partitions: readonly number[]
  readonly #deps: LifecyclerDeps
  readonly #assigned = new Set<number>()
  readonly #timers: Timer[] = []
  #healthy = new Set<string>()
  #downscalePrepared = false
  #registeredAt: number | undefined
  #offChanged: (() => void) | undefined

  constructor (deps: LifecyclerDeps) {
    super()
    this.#deps = deps
    this.nodeId = deps.config.instance_id
    this.zone = deps.config.instance_zone
    this.partitions = ownedPartitions(deps.config)
  }

  /** True while this node is the consumer of `partition` (ownership.ts). */
  isConsumer (partition: number): boolean { return this.#assigned.has(partition) }
  consumedPartitions (): number[] { return [...this.#assigned].sort((a, b) => a - b) }
  /** True when the next stop gives up ownership because of `prepareDownscale`. */
  get downscalePrepared (): boolean { return this.#downscalePrepared }

  protected async doStart (signal: AbortSignal): Promise<void> {
    const { replica, clock, config } = this.#deps
    await raceAbort(replica.whenSynced(), signal)
    await replica.edit((tx) => {
      // A restarted node finds its old member entry unchanged: beat so it is fresh at once.
      if (!this.#registerMember(tx)) tx.apply((s, at) => heartbeat(s, at, this.nodeId))
      this.#claim(tx, this.#deps.createPartitionOnStartup ?? true, (edit) => { edit() })
    })
    this.#registeredAt = clock.now()
    this.#deps.logger?.info({ partitions: this.partitions, zone: this.zone }, 'registered as partition owner')
    this.#offChanged = replica.events.on('ring:changed', ({ delta }) => { if (this.#mayChangeConsumers(delta)) this.#evaluate(clock.now()) })
    await this.reconcile(clock.now())
    this.#timers.push(clock.setInterval(() => { void this.heartbeat() }, config.heartbeat_period))
    this.#timers.push(clock.setInterval(() => { void this.reconcile(clock.now()) }, config.reconcile_period))
  }

  protected async doStop (): Promise<void> {
    for (const t of this.#timers.splice(0)) t.cancel()
    this.#offChanged?.()
    const released = this.consumedPartitions()
    for (const p of released) this.#revoke(p, 'stopping')
    if (released.length > 0) await this.#deps.releasePartitions?.(released)
    if (this.#registeredAt === undefined) return
    // Keeping the ownership (Tempo's `remove_owner_on_shutdown: false`) means staying a member,
    // as Tempo's instance stays in the ring: a `left` entry would bury the owner entries
    // (model.ts dropDepartedOwners). Peers then see the heartbeat expire instead.
    if (!this.#deps.config.remove_owner_on_shutdown && !this.#downscalePrepared) return
    await this.#deps.replica.edit((tx) => {
      for (const p of this.partitions) tx.apply((s, at) => removeOwner(s, at, this.nodeId, p))
      tx.apply((s, at) => removeMember(s, at, this.nodeId))
    })
  }

  /** Refreshes this node's heartbeat (re-registering the member if its entry was lost). */
  async heartbeat (): Promise<void> {
    if (this.state !== 'running') return
    await this.#deps.replica.edit((tx) => {
      if (!this.#registerMember(tx)) tx.apply((s, at) => heartbeat(s, at, this.nodeId))
    })
  }

  /** One reconcile pass at `now` (physical milliseconds). */
  async reconcile (now: number): Promise<void> {
    if (this.state !== 'starting' && this.state !== 'running') return
    await this.#deps.replica.edit((tx) => {
      this.#deps.metrics?.reconciles.inc({ type: 'owned-partition' })
      this.#claim(tx, false, (edit) => this.#attempt('owned-partition', edit))
      this.#promote(tx, now)
      this.#deps.metrics?.reconciles.inc({ type: 'other-partitions' })
      this.#deleteInactive(tx, now)
    })
    this.#evaluate(now)
  }

  /** POST prepare-partition-downscale: this node's partitions → inactive (409 when pending). */
  async preparePartitionDownscale (): Promise<PartitionDownscaleStatus[]> {
    this.#requireRunning()
    await this.#deps.replica.edit((tx) => inactivatePartitions(tx, this.partitions))
    return this.partitionDownscaleStatus()
  }

  /** DELETE prepare-partition-downscale: inactive partitions of this node → active. */
  async cancelPartitionDownscale (): Promise<PartitionDownscaleStatus[]> {
    this.#requireRunning()
    await this.#deps.replica.edit((tx) => reactivatePartitions(tx, this.partitions))
    return this.partitionDownscaleStatus()
  }

  /** GET prepare-partition-downscale. */
  partitionDownscaleStatus (): PartitionDownscaleStatus[] {
    return downscaleStatus(this.#deps.replica.ring, this.partitions)
  }

  /** POST prepare-downscale: the next stop removes this node's ownership (409 unless inactive). */
  prepareDownscale (): void {
    this.#requireRunning()
    checkReadyForDownscale(this.#deps.replica.ring, this.partitions)
    this.#downscalePrepared = true
  }

  /** DELETE prepare-downscale: back to `remove_owner_on_shutdown`. */
  cancelPrepareDownscale (): void {
    this.#requireRunning()
    this.#downscalePrepared = false
  }

  #registerMember (tx: RingTx): boolean {
    return tx.apply((s, at) => upsertMember(s, at, { nodeId: this.nodeId, zone: this.zone, addresses: this.#deps.replica.advertisedAddresses() }))
  }

  /**
   * Owns every configured partition that exists (creating it first when allowed); `attempt`
   * runs each partition's edits (at start failures propagate, in reconcile they are counted).
   */
  #claim (tx: RingTx, allowCreate: boolean, attempt: (edit: () => void) => void): void {
    for (const p of this.partitions) {
      attempt(() => {
        if (getPartition(tx.state, p) === undefined) {
          if (!allowCreate) return
          tx.apply((s, at) => createPartition(s, at, p))
        }
        tx.apply((s, at) => addOwner(s, at, { ownerId: this.nodeId, partition: p, zone: this.zone }))
      })
    }
  }

  #promote (tx: RingTx, now: number): void {
    const { min_partition_owners_count: count, min_partition_owners_duration: duration } = this.#deps.config
    for (const p of this.partitions) {
      if (getPartition(tx.state, p)?.state !== 'pending') continue
      const settled = ownersOf(tx.state, p).filter((o) => now - o.since.wall >= duration).length
      if (settled >= count) this.#attempt('owned-partition', () => tx.apply((s, at) => setPartitionState(s, at, p, 'active')))
    }
  }

  #deleteInactive (tx: RingTx, now: number): void {
    const after = this.#deps.config.delete_inactive_partition_after
    if (after === 0) return
    for (const p of listPartitions(tx.state)) {
      if (p.state !== 'inactive' || this.partitions.includes(p.id) || p.locked) continue
      if (now - p.stateTs.wall < after || ownersOf(tx.state, p.id).length > 0) continue
      this.#attempt('other-partitions', () => tx.apply((s, at) => deletePartition(s, at, p.id)))
    }
  }

  /** Runs one reconcile edit; a refused edit is counted and logged, and the others still run. */
  #attempt (type: ReconcileType, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      if (!(err instanceof RingEditError)) throw err
      this.#deps.metrics?.reconcilesFailed.inc({ type })
      this.#deps.logger?.warn({ err: err.message, reason: err.reason, type }, 'ring reconcile step failed')
    }
  }

  /**
   * False for a change that cannot move consumption: only heartbeats of members already healthy
   * here and still active (most changes; at 100 nodes, 100 a second). A heartbeat of a member
   * that looked dead can (it may take its partition back), as can any partition or owner change.
   * Members going stale are noticed by the reconcile timer, which evaluates every time.
   */
  #mayChangeConsumers (delta: RingState): boolean {
    if (delta.partitions.size > 0 || delta.owners.size > 0) return true
    for (const m of delta.members.values()) if (m.info.value.state !== 'active' || !this.#healthy.has(m.nodeId)) return true
    return false
  }

  /** Recomputes which partitions this node consumes and which members look dead. */
  #evaluate (now: number): void {
    if (this.state !== 'running' && this.state !== 'starting') return
    const state = this.#deps.replica.ring
    const ctx: HealthContext = { now, heartbeatTimeoutMs: this.#deps.config.heartbeat_timeout }
    for (const p of this.partitions) {
      const candidates = consumerCandidates(state, p, this.zone, ctx)
      const inGrace = this.#registeredAt === undefined || now - this.#registeredAt < ctx.heartbeatTimeoutMs
      const mine = candidates[0]?.ownerId === this.nodeId && !(inGrace && candidates.length > 1)
      if (mine && !this.#assigned.has(p)) {
        this.#assigned.add(p)
        this.#deps.replica.events.emit('partition:assigned', { partition: p })
      } else if (!mine && this.#assigned.has(p)) {
        const owned = state.owners.get(ownerKey(this.nodeId, p))?.value.state === 'active' && getPartition(state, p) !== undefined
        this.#revoke(p, owned ? 'standby' : 'ownership')
      }
    }
    const healthy = healthyMembers(state, ctx)
    for (const id of this.#healthy) {
      const m = state.members.get(id)
      if (!healthy.has(id) && m !== undefined && m.info.value.state === 'active') this.#deps.replica.events.emit('member:suspect', { nodeId: id, lastHeartbeat: m.heartbeat.ts })
    }
    this.#healthy = healthy
  }

  #revoke (partition: number, reason: RevokeReason): void {
    this.#assigned.delete(partition)
    this.#deps.replica.events.emit('partition:revoked', { partition, reason })
  }

  #requireRunning (): void {
    if (this.state !== 'running') throw new NotReadyError(`the ring lifecycler is ${this.state}`)
  }
}

function raceAbort<T> (p: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v) }, (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err) })
  })
}
