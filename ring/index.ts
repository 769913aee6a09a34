/**
 * The partition ring: a pure CRDT model (no I/O), its hybrid logical clock, the partition
 * lifecycle table and the versioned gossip codec. The lifecycler and the gossip transport build
 * on this API; nothing here knows about traces, Kafka, HTTP or libp2p.
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
  defaultTombstoneHorizonMs, emptyRing, gcTombstones, isEmptyRing, lockLww, maxTimestamp, memberInfoLww, merge,
  ownerKey, ownerLww, partitionStateLww,
} from './model.ts'
export type { MemberEntry, MemberInfo, MergeResult, OwnerEntry, OwnerValue, PartitionEntry, RingState } from './model.ts'

export {
  addOwner, createPartition, deletePartition, editLimits, heartbeat, removeMember, removeOwner, setPartitionLock,
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
