/**
 * Metadata (key 3), versions 0–6.
 *
 * Metadata Request (Version: 0) => [topics]
 *   topics => name STRING            (an empty array means "all topics" in v0)
 * Metadata Request (Version: 1-3) => [topics]   (nullable: null means "all topics")
 * Metadata Request (Version: 4-6) => [topics] allow_auto_topic_creation
 *   allow_auto_topic_creation => BOOLEAN
 *
 * Metadata Response (Version: 0) => [brokers] [topics]
 *   brokers => node_id host port
 *     node_id => INT32
 *     host => STRING
 *     port => INT32
 *   topics => error_code name [partitions]
 *     error_code => INT16
 *     name => STRING
 *     partitions => error_code partition_index leader_id [replica_nodes] [isr_nodes]
 *       error_code => INT16
 *       partition_index => INT32
 *       leader_id => INT32
 *       replica_nodes => INT32
 *       isr_nodes => INT32
 * Metadata Response (Version: 1) => [brokers] controller_id [topics]
 *   brokers => node_id host port rack
 *     rack => NULLABLE_STRING
 *   controller_id => INT32
 *   topics => error_code name is_internal [partitions]
 *     is_internal => BOOLEAN
 * Metadata Response (Version: 2) => [brokers] cluster_id controller_id [topics]
 *   cluster_id => NULLABLE_STRING
 * Metadata Response (Version: 3-4) => throttle_time_ms [brokers] cluster_id controller_id [topics]
 *   throttle_time_ms => INT32
 * Metadata Response (Version: 5-6) => (as v3)
 *     partitions => error_code partition_index leader_id [replica_nodes] [isr_nodes] [offline_replicas]
 *       offline_replicas => INT32
 */
import { ProtocolDecodeError } from '../errors.ts'
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { defineApi } from './types.ts'

export interface MetadataRequest {
  /** null means every topic (v0's empty array is decoded as null too). */
  topics: string[] | null
  /** v4+; true otherwise (older clients always auto-created). */
  allowAutoTopicCreation: boolean
}

export interface MetadataBroker {
  nodeId: number
  host: string
  port: number
  /** v1+; defaults to null. */
  rack?: string | null
}

export interface MetadataPartition {
  errorCode: number
  partitionIndex: number
  leaderId: number
  replicaNodes: number[]
  isrNodes: number[]
  /** v5+; defaults to []. */
  offlineReplicas?: number[]
}

export interface MetadataTopic {
  errorCode: number
  name: string
  /** v1+; defaults to false. */
  isInternal?: boolean
  partitions: MetadataPartition[]
}

export interface MetadataResponse {
  /** v3+; defaults to 0. */
  throttleTimeMs?: number
  brokers: MetadataBroker[]
  /** v2+; defaults to null. */
  clusterId?: string | null
  /** v1+; defaults to -1. */
  controllerId?: number
  topics: MetadataTopic[]
}

export const metadata = defineApi<MetadataRequest, MetadataResponse>({
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 6,

  decodeRequest (v: number, r: Reader): MetadataRequest {
    let topics = r.nullableArray('topics', (r) => r.string('topics.name'), 2)
    if (v === 0) {
      if (topics === null) throw new ProtocolDecodeError('topics', 'null for a non-nullable array (v0)')
      if (topics?.length === 0) topics = null
    }
    const allowAutoTopicCreation = v >= 4 ? r.boolean('allow_auto_topic_creation') : true
    return { topics, allowAutoTopicCreation }
  },

  encodeRequest (v: number, req: MetadataRequest, w: Writer): void {
    if (v === 0) w.stringArray(req.topics ?? [])
    else w.nullableArray(req.topics, (w, t) => { w.string(t) })
    if (v >= 4) w.boolean(req.allowAutoTopicCreation)
  },

  encodeResponse (v: number, res: MetadataResponse, w: Writer): void {
    if (v >= 3) w.int32(res.throttleTimeMs ?? 0)
    w.array(res.brokers, (w, b) => {
      w.int32(b.nodeId).string(b.host).int32(b.port)
      if (v >= 1) w.nullableString(b.rack ?? null)
    })
    if (v >= 2) w.nullableString(res.clusterId ?? null)
    if (v >= 1) w.int32(res.controllerId ?? -1)
    w.array(res.topics, (w, t) => {
      w.int16(t.errorCode).string(t.name)
      if (v >= 1) w.boolean(t.isInternal ?? false)
      w.array(t.partitions, (w, p) => {
        w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId).int32Array(p.replicaNodes).int32Array(p.isrNodes)
        if (v >= 5) w.int32Array(p.offlineReplicas ?? [])
      })
    })
  },

  decodeResponse (v: number, r: Reader): MetadataResponse {
    const res: MetadataResponse = { brokers: [], topics: [] }
    if (v >= 3) res.throttleTimeMs = r.int32('throttle_time_ms')
    res.brokers = r.array('brokers', (r) => {
      const b: MetadataBroker = { nodeId: r.int32('node_id'), host: r.string('host'), port: r.int32('port') }
      if (v >= 1) b.rack = r.nullableString('rack')
      return b
    }, 10)
    if (v >= 2) res.clusterId = r.nullableString('cluster_id')
    if (v >= 1) res.controllerId = r.int32('controller_id')
    res.topics = r.array('topics', (r) => {
      const t: MetadataTopic = { errorCode: r.int16('error_code'), name: r.string('name'), partitions: [] }
      if (v >= 1) t.isInternal = r.boolean('is_internal')
      t.partitions = r.array('partitions', (r) => {
        const p: MetadataPartition = {
          errorCode: r.int16('error_code'),
          partitionIndex: r.int32('partition_index'),
          leaderId: r.int32('leader_id'),
          replicaNodes: r.int32Array('replica_nodes'),
          isrNodes: r.int32Array('isr_nodes'),
        }
        if (v >= 5) p.offlineReplicas = r.int32Array('offline_replicas')
        return p
      }, 18)
      return t
    }, 8)
    return res
  },
})
