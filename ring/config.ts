/**
 * The partition ring's settings: the lifecycler (Tempo's `live_store.partition_ring`, dskit's
 * partition lifecycler), the node's heartbeat (Tempo's read-ring `heartbeat_period/timeout`) and
 * the gossip protocol (dskit's memberlist KV). Names are Tempo's where one exists; defaults are
 * ours where we differ (tempo-behaviour.md §1.4–1.5, §4.6):
 * - `heartbeat_period` 1s / `heartbeat_timeout` 3s (Tempo 5s / 1m): a failed owner is noticed in
 *   seconds, which the issue's failure-detection target (≤ 3 s) needs;
 * - `reconcile_period` 1s (Tempo's lifecycler polls every 5s): promotion and takeover react
 *   faster, and a reconcile that changes nothing costs no gossip.
 */
import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'
import { configuredPartitions } from '../common/partitions.ts'
import { defaultDepartureHorizonMs, defaultTombstoneHorizonMs } from './model.ts'

/**
 * The node's place in the ring: `live_store.instance_id`, `instance_zone`, `partitions` (Tempo
 * keeps the id and zone in `live_store.ring`; node/config.ts merges these into `live_store`).
 */
export const ringIdentitySchema = {
  instance_id: { type: 'string', default: '', allowEmpty: true, doc: 'This node\'s id in the ring (its owner and member id). When `partitions` is empty and the id ends in `-N` (Tempo style, e.g. `live-store-zone-a-3`), the node owns partition N.' },
  instance_zone: { type: 'string', default: '', allowEmpty: true, doc: 'Availability zone. One owner per partition and zone consumes it; a second owner in the same zone is a standby.' },
  partitions: { type: 'list', default: [], doc: 'Partitions this node owns, e.g. `0,1,2`; empty = the `-N` suffix of `instance_id`.' },
} as const

/** The lifecycler and heartbeat (Tempo's `live_store.partition_ring`). */
export const partitionRingSchema = {
  min_partition_owners_count: { type: 'int', default: 1, min: 1, doc: 'A pending partition becomes active once this many owners have been registered for `min_partition_owners_duration`. Set it to the number of zones for zone-aware clusters.' },
  min_partition_owners_duration: { type: 'duration', default: 10_000, doc: 'How long owners must have been registered before their pending partition is promoted.' },
  delete_inactive_partition_after: { type: 'duration', default: 13 * 3_600_000, doc: 'Delete a partition that has been inactive this long and has no owners; 0 never deletes.' },
  remove_owner_on_shutdown: { type: 'bool', default: true, doc: 'Remove this node\'s ownership when it stops (Tempo turned this on for live-stores: owners of a deleted zone otherwise stay forever).' },
  heartbeat_period: { type: 'duration', default: 1000, min: 1, doc: 'How often the node refreshes its member heartbeat.' },
  heartbeat_timeout: { type: 'duration', default: 3000, min: 1, doc: 'An owner whose heartbeat is older than this is unhealthy: queries skip it and a same-zone standby takes over its partitions.' },
  reconcile_period: { type: 'duration', default: 1000, min: 1, doc: 'How often the lifecycler reconciles: promotion, deletion of ownerless inactive partitions, consumer takeover.' },
} as const

/**
 * The gossip cluster (dskit's `memberlist:` block, our libp2p transport): off by default, so a
 * single node runs without a ring and consumes every partition.
 */
export const memberlistSchema = {
  enabled: { type: 'bool', default: false, doc: 'Join a gossip cluster: own the partitions of `live_store.partitions` through the ring, route writes to active partitions, answer queries for the whole cluster. Off: a single node consuming every partition.' },
  bind_addr: { type: 'string', default: '0.0.0.0', doc: 'Address the libp2p transport listens on (gossip, full-state sync and internal queries).' },
  bind_port: { type: 'int', default: 7946, min: 0, max: 65535, doc: 'Port of the libp2p transport (memberlist\'s default 7946).' },
  advertise_addr: { type: 'string', default: '', allowEmpty: true, doc: 'Address other nodes dial, when it differs from `bind_addr` (0.0.0.0 advertises every interface).' },
  data_dir: { type: 'string', default: './data/memberlist', doc: 'Directory of this node\'s persisted libp2p key (`peer.key`): the peer id survives restarts.' },
  key_file: { type: 'string', default: '', allowEmpty: true, doc: 'File holding the cluster pre-shared key (`livestore keygen` writes one); a host without it cannot connect. Empty = an open network (development only; a warning is logged).' },
  tombstone_horizon: { type: 'duration', default: defaultTombstoneHorizonMs, min: 1, doc: 'How long deleted owner entries are kept before they are forgotten (dskit `left_ingesters_timeout`). A node deletes its owner entries only when it leaves, and its `left` entry (kept for `departure_horizon`) buries them too.' },
  departure_horizon: { type: 'duration', default: defaultDepartureHorizonMs, min: 1, doc: 'How long members that left and deleted partitions are kept (one small entry per node or partition id). Must exceed the longest network partition the cluster should heal from: a replica cut off for longer can bring them, and a departed node\'s ownership, back.' },
  max_clock_skew: { type: 'duration', default: 30_000, min: 1, doc: 'Gossip stamped further than this ahead of the local clock is rejected.' },
  anti_entropy_interval: { type: 'duration', default: 30_000, min: 1, doc: 'Full-state push/pull with one random peer, this often (scaled up above 32 members, like memberlist `pull_push_interval`).' },
  join_members: { type: 'list', default: [], doc: 'Addresses (multiaddrs) of members to pull the ring from at startup; empty = start alone.' },
} as const

/** Everything the ring's components read, flat (the pure model's tests use it directly). */
export const ringSchema = {
  ...ringIdentitySchema,
  ...partitionRingSchema,
  tombstone_horizon: memberlistSchema.tombstone_horizon,
  departure_horizon: memberlistSchema.departure_horizon,
  max_clock_skew: memberlistSchema.max_clock_skew,
  anti_entropy_interval: memberlistSchema.anti_entropy_interval,
  join_members: memberlistSchema.join_members,
} as const

export type RingConfig = ConfigOf<typeof ringSchema>

const maxPartitionId = 2 ** 31 - 1

/** Cross-field rules and the partition list; single-field bounds are checked from the schema. */
export function validateRingConfig (c: RingConfig, prefix = 'ring'): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  c.partitions.forEach((p, i) => {
    if (!/^\d+$/.test(p) || Number(p) > maxPartitionId) issues.push({ key: `${prefix}.partitions[${i}]`, message: `must be a partition number in [0, ${maxPartitionId}], got ${JSON.stringify(p)}` })
  })
  if (c.heartbeat_timeout <= c.heartbeat_period) {
    issues.push({ key: `${prefix}.heartbeat_timeout`, message: `must be > heartbeat_period (${c.heartbeat_period}ms), got ${c.heartbeat_timeout}ms` })
  }
  // A tombstone must outlive at least one anti-entropy round, or a replica that missed the
  // delete can push the deleted entry back after everyone else forgot it (model.ts gcTombstones).
  if (c.tombstone_horizon <= c.anti_entropy_interval) {
    issues.push({ key: `${prefix}.tombstone_horizon`, message: `must be > anti_entropy_interval (${c.anti_entropy_interval}ms), got ${c.tombstone_horizon}ms` })
  }
  if (c.departure_horizon < c.tombstone_horizon) {
    issues.push({ key: `${prefix}.departure_horizon`, message: `must be >= tombstone_horizon (${c.tombstone_horizon}ms), got ${c.departure_horizon}ms` })
  }
  return issues
}

/**
 * The partitions a node owns: the explicit list, else the `-N` suffix of its id, else none.
 * Sorted and deduplicated.
 */
export function ownedPartitions (c: Pick<RingConfig, 'partitions' | 'instance_id'>): number[] {
  return configuredPartitions(c.partitions, c.instance_id)
}
