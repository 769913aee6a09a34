/**
 * Produce (key 0), versions 3–7. v3 is the first that carries RecordBatch v2.
 *
 * Produce Request (Version: 3-7) => transactional_id acks timeout_ms [topic_data]
 *   transactional_id => NULLABLE_STRING
 *   acks => INT16
 *   timeout_ms => INT32
 *   topic_data => name [partition_data]
 *     name => STRING
 *     partition_data => index records
 *       index => INT32
 *       records => RECORDS (nullable int32-length bytes)
 *
 * Produce Response (Version: 3-4) => [responses] throttle_time_ms
 *   responses => name [partition_responses]
 *     name => STRING
 *     partition_responses => index error_code base_offset log_append_time_ms
 *       index => INT32
 *       error_code => INT16
 *       base_offset => INT64
 *       log_append_time_ms => INT64
 *   throttle_time_ms => INT32
 * Produce Response (Version: 5-7) => [responses] throttle_time_ms
 *   partition_responses => index error_code base_offset log_append_time_ms log_start_offset
 *     log_start_offset => INT64
 *
 * v4 (KAFKA_STORAGE_ERROR), v6 (throttle before response) and v7 (zstd) change semantics only.
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface ProduceRequest {
  transactionalId: string | null
  /** 0 (no response is sent), 1 (leader) or -1 (all in-sync replicas). */
  acks: number
  timeoutMs: number
  topics: {
    name: string
    partitions: {
      partitionIndex: number
      /** The producer's record batches, a view into the request frame. */
      records: Buffer | null
    }[]
  }[]
}

export interface ProducePartitionResponse {
  partitionIndex: number
  errorCode: number
  baseOffset: bigint
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: bigint
  /** v5+; defaults to -1. */
  logStartOffset?: bigint
}

export interface ProduceResponse {
  topics: { name: string, partitions: ProducePartitionResponse[] }[]
  throttleTimeMs: number
}

export const produce = defineApi<ProduceRequest, ProduceResponse>({
  apiKey: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 7,

  decodeRequest (_v: number, r: Reader): ProduceRequest {
    return {
      transactionalId: r.nullableString('transactional_id'),
      acks: r.int16('acks'),
      timeoutMs: r.int32('timeout_ms'),
      topics: r.array('topic_data', (r) => ({
        name: r.string('topic_data.name'),
        partitions: r.array('partition_data', (r) => ({
          partitionIndex: r.int32('partition_data.index'),
          records: r.nullableBytes('partition_data.records'),
        }), 8),
      }), 6),
    }
  },

  encodeRequest (_v: number, req: ProduceRequest, w: Writer): void {
    w.nullableString(req.transactionalId).int16(req.acks).int32(req.timeoutMs)
    w.array(req.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => { w.int32(p.partitionIndex).nullableBytes(p.records) })
    })
  },

  encodeResponse (v: number, res: ProduceResponse, w: Writer): void {
    w.array(res.topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partitionIndex).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTimeMs)
        if (v >= 5) w.int64(p.logStartOffset ?? -1n)
      })
    })
    w.int32(res.throttleTimeMs)
  },

  decodeResponse (v: number, r: Reader): ProduceResponse {
    const topics = r.array('responses', (r) => ({
      name: r.string('responses.name'),
      partitions: r.array('partition_responses', (r) => {
        const p: ProducePartitionResponse = {
          partitionIndex: r.int32('index'),
          errorCode: r.int16('error_code'),
          baseOffset: r.int64('base_offset'),
          logAppendTimeMs: r.int64('log_append_time_ms'),
        }
        if (v >= 5) p.logStartOffset = r.int64('log_start_offset')
        return p
      }, 22),
    }), 6)
    return { topics, throttleTimeMs: r.int32('throttle_time_ms') }
  },
})
