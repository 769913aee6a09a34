/**
 * OffsetCommit (key 8), versions 0–5.
 *
 * OffsetCommit Request (Version: 0) => group_id [topics]
 *   group_id => STRING
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index committed_offset committed_metadata
 *       partition_index => INT32
 *       committed_offset => INT64
 *       committed_metadata => NULLABLE_STRING
 * OffsetCommit Request (Version: 1) => group_id generation_id member_id [topics]
 *   generation_id => INT32
 *   member_id => STRING
 *     partitions => partition_index committed_offset commit_timestamp committed_metadata
 *       commit_timestamp => INT64
 * OffsetCommit Request (Version: 2-4) => group_id generation_id member_id retention_time_ms [topics]
 *   retention_time_ms => INT64
 *     partitions => partition_index committed_offset committed_metadata
 * OffsetCommit Request (Version: 5) => group_id generation_id member_id [topics]
 *
 * OffsetCommit Response (Version: 0-2) => [topics]
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code
 *       partition_index => INT32
 *       error_code => INT16
 * OffsetCommit Response (Version: 3-5) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface OffsetCommitRequest {
  groupId: string
  /** v1+; -1 otherwise (v0 commits are "simple" commits outside group membership). */
  generationId: number
  /** v1+; '' otherwise. */
  memberId: string
  /** v2–4; -1 (broker default retention) otherwise. */
  retentionTimeMs: bigint
  topics: {
    name: string
    partitions: {
      partitionIndex: number
      committedOffset: bigint
      /** v1 only; -1 otherwise. */
      commitTimestamp: bigint
      committedMetadata: string | null
    }[]
  }[]
}

export interface OffsetCommitResponse {
  /** v3+; defaults to 0. */
  throttleTimeMs?: number
  topics: { name: string, partitions: { partitionIndex: number, errorCode: number }[] }[]
}

export const offsetCommit = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 5,

  decodeRequest (v: number, r: Reader): OffsetCommitRequest {
    const groupId = r.string('group_id')
    const generationId = v >= 1 ? r.int32('generation_id') : -1
    const memberId = v >= 1 ? r.string('member_id') : ''
    const retentionTimeMs = v >= 2 && v <= 4 ? r.int64('retention_time_ms') : -1n
    const topics = r.array('topics', (r) => ({
      name: r.string('topics.name'),
      partitions: r.array('topics.partitions', (r) => ({
        partitionIndex: r.int32('partition_index'),
        committedOffset: r.int64('committed_offset'),
        commitTimestamp: v === 1 ? r.int64('commit_timestamp') : -1n,
        committedMetadata: r.nullableString('committed_metadata'),
      }), 14),
    }), 6)
    return { groupId, generationId, memberId, retentionTimeMs, topics }
  },

  encodeRequest (v: number, req: OffsetCommitRequest, w: Writer): void {
    w.string(req.groupId)
    if (v >= 1) w.int32(req.generationId).string(req.memberId)
    if (v >= 2 && v <= 4) w.int64(req.retentionTimeMs)
    w.array(req.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int64(p.committedOffset)
        if (v === 1) w.int64(p.commitTimestamp)
        w.nullableString(p.committedMetadata)
      })
    })
  },

  encodeResponse (v: number, res: OffsetCommitResponse, w: Writer): void {
    if (v >= 3) w.int32(res.throttleTimeMs ?? 0)
    w.array(res.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => { w.int32(p.partitionIndex).int16(p.errorCode) })
    })
  },

  decodeResponse (v: number, r: Reader): OffsetCommitResponse {
    const res: OffsetCommitResponse = { topics: [] }
    if (v >= 3) res.throttleTimeMs = r.int32('throttle_time_ms')
    res.topics = r.array('topics', (r) => ({
      name: r.string('topics.name'),
      partitions: r.array('topics.partitions', (r) => ({
        partitionIndex: r.int32('partition_index'),
        errorCode: r.int16('error_code'),
      }), 6),
    }), 6)
    return res
  },
})
