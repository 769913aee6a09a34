/**
 * ListOffsets (key 2), versions 0–3. Timestamps: -1 latest, -2 earliest, otherwise the first
 * offset whose record timestamp is >= the given one.
 *
 * ListOffsets Request (Version: 0) => replica_id [topics]
 *   replica_id => INT32
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index timestamp max_num_offsets
 *       partition_index => INT32
 *       timestamp => INT64
 *       max_num_offsets => INT32
 * ListOffsets Request (Version: 1) => replica_id [topics]
 *     partitions => partition_index timestamp
 * ListOffsets Request (Version: 2-3) => replica_id isolation_level [topics]
 *   isolation_level => INT8
 *
 * ListOffsets Response (Version: 0) => [topics]
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index error_code [old_style_offsets]
 *       partition_index => INT32
 *       error_code => INT16
 *       old_style_offsets => INT64
 * ListOffsets Response (Version: 1) => [topics]
 *     partitions => partition_index error_code timestamp offset
 *       timestamp => INT64
 *       offset => INT64
 * ListOffsets Response (Version: 2-3) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export const LATEST_TIMESTAMP = -1n
export const EARLIEST_TIMESTAMP = -2n

export interface ListOffsetsRequest {
  replicaId: number
  /** v2+; 0 otherwise. */
  isolationLevel: number
  topics: {
    name: string
    partitions: {
      partitionIndex: number
      timestamp: bigint
      /** v0 only; 1 otherwise. */
      maxNumOffsets: number
    }[]
  }[]
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number
  errorCode: number
  /** v0 only. When missing, v0 is answered with `[offset]` (or [] on error). */
  oldStyleOffsets?: bigint[]
  /** v1+; defaults to -1. */
  timestamp?: bigint
  /** v1+; defaults to -1. */
  offset?: bigint
}

export interface ListOffsetsResponse {
  /** v2+; defaults to 0. */
  throttleTimeMs?: number
  topics: { name: string, partitions: ListOffsetsPartitionResponse[] }[]
}

export const listOffsets = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 3,

  decodeRequest (v: number, r: Reader): ListOffsetsRequest {
    const replicaId = r.int32('replica_id')
    const isolationLevel = v >= 2 ? r.int8('isolation_level') : 0
    const topics = r.array('topics', (r) => ({
      name: r.string('topics.name'),
      partitions: r.array('topics.partitions', (r) => ({
        partitionIndex: r.int32('partition_index'),
        timestamp: r.int64('timestamp'),
        maxNumOffsets: v === 0 ? r.int32('max_num_offsets') : 1,
      }), 12),
    }), 6)
    return { replicaId, isolationLevel, topics }
  },

  encodeRequest (v: number, req: ListOffsetsRequest, w: Writer): void {
    w.int32(req.replicaId)
    if (v >= 2) w.int8(req.isolationLevel)
    w.array(req.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int64(p.timestamp)
        if (v === 0) w.int32(p.maxNumOffsets)
      })
    })
  },

  encodeResponse (v: number, res: ListOffsetsResponse, w: Writer): void {
    if (v >= 2) w.int32(res.throttleTimeMs ?? 0)
    w.array(res.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int16(p.errorCode)
        if (v === 0) {
          const offsets = p.oldStyleOffsets ?? (p.errorCode === 0 && p.offset !== undefined ? [p.offset] : [])
          w.array(offsets, (w, o) => { w.int64(o) })
        } else {
          w.int64(p.timestamp ?? -1n).int64(p.offset ?? -1n)
        }
      })
    })
  },

  decodeResponse (v: number, r: Reader): ListOffsetsResponse {
    const res: ListOffsetsResponse = { topics: [] }
    if (v >= 2) res.throttleTimeMs = r.int32('throttle_time_ms')
    res.topics = r.array('topics', (r) => ({
      name: r.string('topics.name'),
      partitions: r.array('topics.partitions', (r) => {
        const p: ListOffsetsPartitionResponse = { partitionIndex: r.int32('partition_index'), errorCode: r.int16('error_code') }
        if (v === 0) {
          p.oldStyleOffsets = r.array('old_style_offsets', (r) => r.int64('old_style_offsets'), 8)
        } else {
          p.timestamp = r.int64('timestamp')
          p.offset = r.int64('offset')
        }
        return p
      }, 6),
    }), 6)
    return res
  },
})
