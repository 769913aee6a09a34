/**
 * OffsetFetch (key 9), versions 1–4. (v0 read offsets from ZooKeeper; not supported.)
 *
 * OffsetFetch Request (Version: 1) => group_id [topics]
 *   group_id => STRING
 *   topics => name [partition_indexes]
 *     name => STRING
 *     partition_indexes => INT32
 * OffsetFetch Request (Version: 2-4) => group_id [topics]   (nullable: null means "all topics")
 *
 * OffsetFetch Response (Version: 1) => [topics]
 *   topics => name [partitions]
 *     name => STRING
 *     partitions => partition_index committed_offset metadata error_code
 *       partition_index => INT32
 *       committed_offset => INT64
 *       metadata => NULLABLE_STRING
 *       error_code => INT16
 * OffsetFetch Response (Version: 2) => [topics] error_code
 *   error_code => INT16
 * OffsetFetch Response (Version: 3-4) => throttle_time_ms [topics] error_code
 *   throttle_time_ms => INT32
 */
import { ProtocolDecodeError } from '../errors.ts'
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface OffsetFetchRequest {
  groupId: string
  /** null (v2+) means every partition the group has committed. */
  topics: { name: string, partitionIndexes: number[] }[] | null
}

export interface OffsetFetchPartitionResponse {
  partitionIndex: number
  /** -1 when nothing is committed. */
  committedOffset: bigint
  metadata: string | null
  errorCode: number
}

export interface OffsetFetchResponse {
  /** v3+; defaults to 0. */
  throttleTimeMs?: number
  topics: { name: string, partitions: OffsetFetchPartitionResponse[] }[]
  /** v2+ top-level error; defaults to 0. */
  errorCode?: number
}

export const offsetFetch = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 4,

  decodeRequest (v: number, r: Reader): OffsetFetchRequest {
    const groupId = r.string('group_id')
    const topics = r.nullableArray('topics', (r) => ({
      name: r.string('topics.name'),
      partitionIndexes: r.int32Array('partition_indexes'),
    }), 6)
    if (topics === null && v < 2) throw new ProtocolDecodeError('topics', `null topics need v2+, got v${v}`)
    return { groupId, topics }
  },

  encodeRequest (v: number, req: OffsetFetchRequest, w: Writer): void {
    w.string(req.groupId)
    if (req.topics === null && v < 2) throw new RangeError('OffsetFetch v1 cannot ask for all topics')
    w.nullableArray(req.topics, (w, t) => { w.string(t.name).int32Array(t.partitionIndexes) })
  },

  encodeResponse (v: number, res: OffsetFetchResponse, w: Writer): void {
    if (v >= 3) w.int32(res.throttleTimeMs ?? 0)
    w.array(res.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.metadata).int16(p.errorCode)
      })
    })
    if (v >= 2) w.int16(res.errorCode ?? 0)
  },

  decodeResponse (v: number, r: Reader): OffsetFetchResponse {
    const res: OffsetFetchResponse = { topics: [] }
    if (v >= 3) res.throttleTimeMs = r.int32('throttle_time_ms')
    res.topics = r.array('topics', (r) => ({
      name: r.string('topics.name'),
      partitions: r.array('topics.partitions', (r) => ({
        partitionIndex: r.int32('partition_index'),
        committedOffset: r.int64('committed_offset'),
        metadata: r.nullableString('metadata'),
        errorCode: r.int16('error_code'),
      }), 16),
    }), 6)
    if (v >= 2) res.errorCode = r.int16('error_code')
    return res
  },
})
