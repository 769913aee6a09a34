/**
 * DeleteTopics (key 20), versions 0–1.
 *
 * DeleteTopics Request (Version: 0-1) => [topic_names] timeout_ms
 *   topic_names => STRING
 *   timeout_ms => INT32
 *
 * DeleteTopics Response (Version: 0) => [responses]
 *   responses => name error_code
 *     name => STRING
 *     error_code => INT16
 * DeleteTopics Response (Version: 1) => throttle_time_ms [responses]
 *   throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface DeleteTopicsRequest {
  topicNames: string[]
  timeoutMs: number
}

export interface DeleteTopicsResponse {
  /** v1+; defaults to 0. */
  throttleTimeMs?: number
  topics: { name: string, errorCode: number }[]
}

export const deleteTopics = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 1,

  decodeRequest (_v: number, r: Reader): DeleteTopicsRequest {
    return { topicNames: r.stringArray('topic_names'), timeoutMs: r.int32('timeout_ms') }
  },

  encodeRequest (_v: number, req: DeleteTopicsRequest, w: Writer): void {
    w.stringArray(req.topicNames).int32(req.timeoutMs)
  },

  encodeResponse (v: number, res: DeleteTopicsResponse, w: Writer): void {
    if (v >= 1) w.int32(res.throttleTimeMs ?? 0)
    w.array(res.topics, (w, t) => { w.string(t.name).int16(t.errorCode) })
  },

  decodeResponse (v: number, r: Reader): DeleteTopicsResponse {
    const throttleTimeMs = v >= 1 ? r.int32('throttle_time_ms') : undefined
    const res: DeleteTopicsResponse = {
      topics: r.array('responses', (r) => ({ name: r.string('responses.name'), errorCode: r.int16('error_code') }), 4),
    }
    if (throttleTimeMs !== undefined) res.throttleTimeMs = throttleTimeMs
    return res
  },
})
