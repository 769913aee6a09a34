/**
 * CreateTopics (key 19), versions 0–3.
 *
 * CreateTopics Request (Version: 0) => [topics] timeout_ms
 *   topics => name num_partitions replication_factor [assignments] [configs]
 *     name => STRING
 *     num_partitions => INT32          (-1: broker default, needs explicit assignments otherwise)
 *     replication_factor => INT16      (-1: broker default)
 *     assignments => partition_index [broker_ids]
 *       partition_index => INT32
 *       broker_ids => INT32
 *     configs => name value
 *       name => STRING
 *       value => NULLABLE_STRING
 *   timeout_ms => INT32
 * CreateTopics Request (Version: 1-3) => [topics] timeout_ms validate_only
 *   validate_only => BOOLEAN
 *
 * CreateTopics Response (Version: 0) => [topics]
 *   topics => name error_code
 *     name => STRING
 *     error_code => INT16
 * CreateTopics Response (Version: 1) => [topics]
 *   topics => name error_code error_message
 *     error_message => NULLABLE_STRING
 * CreateTopics Response (Version: 2-3) => throttle_time_ms [topics]
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface CreatableTopic {
  name: string
  numPartitions: number
  replicationFactor: number
  assignments: { partitionIndex: number, brokerIds: number[] }[]
  configs: { name: string, value: string | null }[]
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[]
  timeoutMs: number
  /** v1+; false otherwise. */
  validateOnly: boolean
}

export interface CreateTopicsTopicResult {
  name: string
  errorCode: number
  /** v1+; defaults to null. */
  errorMessage?: string | null
}

export interface CreateTopicsResponse {
  /** v2+; defaults to 0. */
  throttleTimeMs?: number
  topics: CreateTopicsTopicResult[]
}

export const createTopics = defineApi<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 3,

  decodeRequest (v: number, r: Reader): CreateTopicsRequest {
    const topics = r.array('topics', (r) => ({
      name: r.string('topics.name'),
      numPartitions: r.int32('num_partitions'),
      replicationFactor: r.int16('replication_factor'),
      assignments: r.array('assignments', (r) => ({
        partitionIndex: r.int32('assignments.partition_index'),
        brokerIds: r.int32Array('assignments.broker_ids'),
      }), 8),
      configs: r.array('configs', (r) => ({
        name: r.string('configs.name'),
        value: r.nullableString('configs.value'),
      }), 4),
    }), 16)
    const timeoutMs = r.int32('timeout_ms')
    const validateOnly = v >= 1 ? r.boolean('validate_only') : false
    return { topics, timeoutMs, validateOnly }
  },

  encodeRequest (v: number, req: CreateTopicsRequest, w: Writer): void {
    w.array(req.topics, (w, t) => {
      w.string(t.name).int32(t.numPartitions).int16(t.replicationFactor)
      w.array(t.assignments, (w, a) => { w.int32(a.partitionIndex).int32Array(a.brokerIds) })
      w.array(t.configs, (w, c) => { w.string(c.name).nullableString(c.value) })
    })
    w.int32(req.timeoutMs)
    if (v >= 1) w.boolean(req.validateOnly)
  },

  encodeResponse (v: number, res: CreateTopicsResponse, w: Writer): void {
    if (v >= 2) w.int32(res.throttleTimeMs ?? 0)
    w.array(res.topics, (w, t) => {
      w.string(t.name).int16(t.errorCode)
      if (v >= 1) w.nullableString(t.errorMessage ?? null)
    })
  },

  decodeResponse (v: number, r: Reader): CreateTopicsResponse {
    const res: CreateTopicsResponse = { topics: [] }
    if (v >= 2) res.throttleTimeMs = r.int32('throttle_time_ms')
    res.topics = r.array('topics', (r) => {
      const t: CreateTopicsTopicResult = { name: r.string('topics.name'), errorCode: r.int16('error_code') }
      if (v >= 1) t.errorMessage = r.nullableString('error_message')
      return t
    }, 4)
    return res
  },
})
