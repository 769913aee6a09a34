/**
 * Fetch (key 1), versions 4–11. v4 is the first returning RecordBatch v2 with
 * last_stable_offset / aborted transactions.
 *
 * Fetch Request (Version: 4) => replica_id max_wait_ms min_bytes max_bytes isolation_level [topics]
 *   replica_id => INT32
 *   max_wait_ms => INT32
 *   min_bytes => INT32
 *   max_bytes => INT32
 *   isolation_level => INT8
 *   topics => topic [partitions]
 *     topic => STRING
 *     partitions => partition fetch_offset partition_max_bytes
 *       partition => INT32
 *       fetch_offset => INT64
 *       partition_max_bytes => INT32
 * Fetch Request (Version: 5-6) => (as v4)
 *     partitions => partition fetch_offset log_start_offset partition_max_bytes
 *       log_start_offset => INT64
 * Fetch Request (Version: 7-8) => replica_id max_wait_ms min_bytes max_bytes isolation_level session_id session_epoch [topics] [forgotten_topics_data]
 *   session_id => INT32
 *   session_epoch => INT32
 *   topics => (as v5)
 *   forgotten_topics_data => topic [partitions]
 *     topic => STRING
 *     partitions => INT32
 * Fetch Request (Version: 9-10) => (as v7)
 *     partitions => partition current_leader_epoch fetch_offset log_start_offset partition_max_bytes
 *       current_leader_epoch => INT32
 * Fetch Request (Version: 11) => replica_id max_wait_ms min_bytes max_bytes isolation_level session_id session_epoch [topics] [forgotten_topics_data] rack_id
 *   rack_id => STRING
 *
 * Fetch Response (Version: 4) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 *   responses => topic [partitions]
 *     topic => STRING
 *     partitions => partition_index error_code high_watermark last_stable_offset [aborted_transactions] records
 *       partition_index => INT32
 *       error_code => INT16
 *       high_watermark => INT64
 *       last_stable_offset => INT64
 *       aborted_transactions => producer_id first_offset   (nullable array)
 *         producer_id => INT64
 *         first_offset => INT64
 *       records => RECORDS (nullable int32-length bytes)
 * Fetch Response (Version: 5-6) => (as v4)
 *     partitions => partition_index error_code high_watermark last_stable_offset log_start_offset [aborted_transactions] records
 *       log_start_offset => INT64
 * Fetch Response (Version: 7-10) => throttle_time_ms error_code session_id [responses]
 *   error_code => INT16
 *   session_id => INT32
 * Fetch Response (Version: 11) => (as v7)
 *     partitions => partition_index error_code high_watermark last_stable_offset log_start_offset [aborted_transactions] preferred_read_replica records
 *       preferred_read_replica => INT32
 *
 * An empty record set is sent as length 0 (never -1): kafkajs treats any size <= 0 as "no
 * messages" and librdkafka accepts 0, and it is what Kafka itself sends for an empty read.
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface FetchRequestPartition {
  partitionIndex: number
  /** v9+; -1 otherwise. */
  currentLeaderEpoch: number
  fetchOffset: bigint
  /** v5+ (only meaningful for followers); -1 otherwise. */
  logStartOffset: bigint
  partitionMaxBytes: number
}

export interface FetchRequest {
  replicaId: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  /** 0 READ_UNCOMMITTED, 1 READ_COMMITTED. */
  isolationLevel: number
  /** v7+; 0 (no session) otherwise. */
  sessionId: number
  /** v7+; -1 (FINAL_EPOCH: no session) otherwise. */
  sessionEpoch: number
  topics: { name: string, partitions: FetchRequestPartition[] }[]
  /** v7+; empty otherwise. */
  forgottenTopics: { name: string, partitions: number[] }[]
  /** v11+; '' otherwise. */
  rackId: string
}

export interface AbortedTransaction {
  producerId: bigint
  firstOffset: bigint
}

export interface FetchPartitionResponse {
  partitionIndex: number
  errorCode: number
  highWatermark: bigint
  lastStableOffset: bigint
  /** v5+; defaults to -1. */
  logStartOffset?: bigint
  abortedTransactions: AbortedTransaction[] | null
  /** v11+; defaults to -1 (no preferred replica). */
  preferredReadReplica?: number
  /**
   * Stored RecordBatch bytes, written as they are. Several buffers (e.g. reads from two
   * segments) are sent back to back without being concatenated first. null/empty → length 0.
   */
  records: Buffer | readonly Buffer[] | null
}

export interface FetchResponse {
  throttleTimeMs: number
  /** v7+; defaults to 0. */
  errorCode?: number
  /** v7+; defaults to 0. */
  sessionId?: number
  topics: { name: string, partitions: FetchPartitionResponse[] }[]
}

function writeRecords (w: Writer, records: Buffer | readonly Buffer[] | null): void {
  if (records === null) {
    w.int32(0)
  } else if (Buffer.isBuffer(records)) {
    w.bytes(records)
  } else {
    const list = records as readonly Buffer[]
    w.int32(list.reduce((n, b) => n + b.length, 0))
    for (const b of list) w.raw(b)
  }
}

export const fetch = defineApi<FetchRequest, FetchResponse>({
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,

  decodeRequest (v: number, r: Reader): FetchRequest {
    const replicaId = r.int32('replica_id')
    const maxWaitMs = r.int32('max_wait_ms')
    const minBytes = r.int32('min_bytes')
    const maxBytes = r.int32('max_bytes')
    const isolationLevel = r.int8('isolation_level')
    const sessionId = v >= 7 ? r.int32('session_id') : 0
    const sessionEpoch = v >= 7 ? r.int32('session_epoch') : -1
    const topics = r.array('topics', (r) => ({
      name: r.string('topics.topic'),
      partitions: r.array('topics.partitions', (r) => ({
        partitionIndex: r.int32('partition'),
        currentLeaderEpoch: v >= 9 ? r.int32('current_leader_epoch') : -1,
        fetchOffset: r.int64('fetch_offset'),
        logStartOffset: v >= 5 ? r.int64('log_start_offset') : -1n,
        partitionMaxBytes: r.int32('partition_max_bytes'),
      }), 16),
    }), 6)
    const forgottenTopics = v >= 7
      ? r.array('forgotten_topics_data', (r) => ({
        name: r.string('forgotten_topics_data.topic'),
        partitions: r.int32Array('forgotten_topics_data.partitions'),
      }), 6)
      : []
    const rackId = v >= 11 ? r.string('rack_id') : ''
    return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopics, rackId }
  },

  encodeRequest (v: number, req: FetchRequest, w: Writer): void {
    w.int32(req.replicaId).int32(req.maxWaitMs).int32(req.minBytes).int32(req.maxBytes).int8(req.isolationLevel)
    if (v >= 7) w.int32(req.sessionId).int32(req.sessionEpoch)
    w.array(req.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex)
        if (v >= 9) w.int32(p.currentLeaderEpoch)
        w.int64(p.fetchOffset)
        if (v >= 5) w.int64(p.logStartOffset)
        w.int32(p.partitionMaxBytes)
      })
    })
    if (v >= 7) w.array(req.forgottenTopics, (w, t) => { w.string(t.name).int32Array(t.partitions) })
    if (v >= 11) w.string(req.rackId)
  },

  encodeResponse (v: number, res: FetchResponse, w: Writer): void {
    w.int32(res.throttleTimeMs)
    if (v >= 7) w.int16(res.errorCode ?? 0).int32(res.sessionId ?? 0)
    w.array(res.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark).int64(p.lastStableOffset)
        if (v >= 5) w.int64(p.logStartOffset ?? -1n)
        w.nullableArray(p.abortedTransactions, (w, a) => { w.int64(a.producerId).int64(a.firstOffset) })
        if (v >= 11) w.int32(p.preferredReadReplica ?? -1)
        writeRecords(w, p.records)
      })
    })
  },

  decodeResponse (v: number, r: Reader): FetchResponse {
    const res: FetchResponse = { throttleTimeMs: r.int32('throttle_time_ms'), topics: [] }
    if (v >= 7) {
      res.errorCode = r.int16('error_code')
      res.sessionId = r.int32('session_id')
    }
    res.topics = r.array('responses', (r) => ({
      name: r.string('responses.topic'),
      partitions: r.array('partitions', (r) => {
        const p: FetchPartitionResponse = {
          partitionIndex: r.int32('partition_index'),
          errorCode: r.int16('error_code'),
          highWatermark: r.int64('high_watermark'),
          lastStableOffset: r.int64('last_stable_offset'),
          abortedTransactions: null,
          records: null,
        }
        if (v >= 5) p.logStartOffset = r.int64('log_start_offset')
        p.abortedTransactions = r.nullableArray('aborted_transactions', (r) => ({
          producerId: r.int64('producer_id'),
          firstOffset: r.int64('first_offset'),
        }), 16)
        if (v >= 11) p.preferredReadReplica = r.int32('preferred_read_replica')
        p.records = r.nullableBytes('records')
        return p
      }, 30),
    }), 6)
    return res
  },
})
