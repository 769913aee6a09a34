/**
 * The partition ring: a pure CRDT model (no I/O), its hybrid logical clock, the partition
 * lifecycle table and the versioned gossip codec; on top of them the gossip protocol
 * (`RingReplica`: deltas, push/pull, validators), the per-node `PartitionLifecycler` (claim,
 * promote, heartbeat, delete, downscale, consumer choice) and their typed events and config.
 * Nothing here knows about traces, Kafka or HTTP; libp2p stays behind ring/transport.
 */
export { ClockSkewError, RingCodecError, RingEditError } from './errors.ts'
export type { RingEditReason } from './errors.ts'

export {
  HybridClock, checkSkew, compareHlc, defaultMaxClockSkewMs, formatHlc, hlc, hlcFromBigInt, hlcToBigInt,
  isValidHlc, maxHlc, maxLogical, maxWall, zeroHlc,
} from './hlc.ts'
export type { Hlc, HybridClockOptions } from './hlc.ts'

export { compareLww, compareStamps, mergeLww, mergeStamp } from './register.ts'
export type { Lww, LwwOrder, Stamp } from './register.ts'

export {
  canTransition, deletablePartitionStates, initialPartitionState, isPartitionState, memberStateDocs, memberStates,
  ownerStateDocs, ownerStates, partitionStateDocs, partitionStates, partitionTransitions,
} from './states.ts'
export type { MemberState, OwnerState, PartitionRegisterState, PartitionState } from './states.ts'

export {
  buryDeparted, defaultDepartureHorizonMs, defaultTombstoneHorizonMs, departureCandidates, dropDepartedOwners, dropStampedAfter, emptyRing, gcTombstones, isEmptyRing, lockLww, maxTimestamp, memberInfoLww, merge,
  ownerKey, ownerLww, partitionStateLww,
} from './model.ts'
export type { MemberEntry, MemberInfo, MergeResult, OwnerEntry, OwnerValue, PartitionEntry, RingState } from './model.ts'

export {
  addOwner, claimPartition, createPartition, deletePartition, editLimits, heartbeat, removeMember, removeOwner, setPartitionLock,
  setPartitionState, upsertMember,
} from './edits.ts'
export type { MemberSpec, OwnerSpec } from './edits.ts'

export {
  activePartitions, countTombstones, getMember, getPartition, healthyOwners, isHealthy, listMembers, listPartitions,
  ownersOf,
} from './read.ts'
export type { MemberView, OwnerInfo, PartitionInfo, TombstoneCounts } from './read.ts'

export { fmix32, partitionTokens, tokensPerPartition } from './tokens.ts'

export { currentVersion, decodeMessage, defaultCodecLimits, encodeMessage, versions } from './codec/index.ts'
export type { CodecLimits, RingCodec, RingMessage, RingMessageKind } from './codec/index.ts'

export { ownedPartitions, ringSchema, validateRingConfig } from './config.ts'
export type { RingConfig } from './config.ts'

export { RingEvents } from './events.ts'
export type { RevokeReason, RingEventMap, RingEventType, RingEventsOptions } from './events.ts'

export { RingReplica, defaultDeltaLimits } from './gossip.ts'
export { MemberDialer, antiEntropyInterval, joinCluster, pullRandomPeer } from './gossip-peers.ts'
export type { RingReplicaDeps } from './gossip.ts'
export type { RingEdit, RingTx } from './gossip-tx.ts'
export { GossipStats } from './gossip-stats.ts'
export { GossipRejectError, checkDelta, checkFullState, decodeChecked, peerAddress, peerIdOf, rejectReasons } from './gossip-validate.ts'
export type { BindingContext, RejectReason } from './gossip-validate.ts'

export { PartitionLifecycler } from './lifecycler.ts'
export type { LifecyclerConfig, LifecyclerDeps } from './lifecycler.ts'
export { DownscaleConflictError, downscaleStatus } from './downscale.ts'
export type { PartitionDownscaleStatus } from './downscale.ts'
export { consumerCandidates, consumerOf, healthyMembers } from './ownership.ts'
export type { HealthContext } from './ownership.ts'

export { createRingMetrics } from './metrics.ts'
export type { RingMetrics } from './metrics.ts'
export { SerialQueue } from './serial-queue.ts'
