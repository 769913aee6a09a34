/**
 * Canonical request/response objects per API and version, shared by the golden fixture tests,
 * the kafkajs cross-checks and fixtures/generate.ts. Requests carry every field (Kafka's default
 * where the version lacks it, as decodeRequest returns them); responses carry exactly the
 * fields of their version (as decodeResponse returns them). Values are fixed so fixtures are
 * reproducible; error codes are 0 so kafkajs's response parsers accept them.
 */
import type * as A from './apis/index.ts'
import { encodeRecordBatch } from './record-batch.ts'

const T = 1_700_000_000_000n

export const sampleBatch = encodeRecordBatch({
  baseOffset: 0n,
  records: [
    { key: Buffer.from('key-0'), value: Buffer.from('value-0'), timestamp: T, headers: [{ key: 'h', value: Buffer.from('1') }] },
    { key: null, value: Buffer.from('value-1'), timestamp: T + 7n },
  ],
})

/** The same batch as the broker would return it: base offset stamped. */
export const sampleStoredBatch = Buffer.from(sampleBatch)
sampleStoredBatch.writeBigInt64BE(42n, 0)

function produceRequest (): A.ProduceRequest {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, records: sampleBatch }, { partitionIndex: 1, records: null }] }],
  }
}

function produceResponse (v: number): A.ProduceResponse {
  const p: A.ProducePartitionResponse = { partitionIndex: 0, errorCode: 0, baseOffset: 42n, logAppendTimeMs: -1n }
  if (v >= 5) p.logStartOffset = 0n
  return { topics: [{ name: 'orders', partitions: [p] }], throttleTimeMs: 0 }
}

function fetchRequest (v: number): A.FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 10485760,
    isolationLevel: 1,
    sessionId: v >= 7 ? 77 : 0,
    sessionEpoch: v >= 7 ? 2 : -1,
    topics: [{
      name: 'orders',
      partitions: [{
        partitionIndex: 0,
        currentLeaderEpoch: v >= 9 ? 5 : -1,
        fetchOffset: 42n,
        logStartOffset: v >= 5 ? 3n : -1n,
        partitionMaxBytes: 1048576,
      }],
    }],
    forgottenTopics: v >= 7 ? [{ name: 'old', partitions: [3] }] : [],
    rackId: v >= 11 ? 'rack-a' : '',
  }
}

function fetchResponse (v: number): A.FetchResponse {
  const full: A.FetchPartitionResponse = {
    partitionIndex: 0,
    errorCode: 0,
    highWatermark: 44n,
    lastStableOffset: 44n,
    abortedTransactions: [],
    records: sampleStoredBatch,
  }
  const empty: A.FetchPartitionResponse = {
    partitionIndex: 1,
    errorCode: 0,
    highWatermark: 0n,
    lastStableOffset: 0n,
    abortedTransactions: null,
    records: Buffer.alloc(0),
  }
  for (const p of [full, empty]) {
    if (v >= 5) p.logStartOffset = 0n
    if (v >= 11) p.preferredReadReplica = -1
  }
  const res: A.FetchResponse = { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [full, empty] }] }
  if (v >= 7) {
    res.errorCode = 0
    res.sessionId = 0
  }
  return res
}

function listOffsetsRequest (v: number): A.ListOffsetsRequest {
  return {
    replicaId: -1,
    isolationLevel: v >= 2 ? 1 : 0,
    topics: [{
      name: 'orders',
      partitions: [
        { partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 },
        { partitionIndex: 1, timestamp: T, maxNumOffsets: 1 },
      ],
    }],
  }
}

function listOffsetsResponse (v: number): A.ListOffsetsResponse {
  const partitions: A.ListOffsetsPartitionResponse[] = [0, 1].map((i) => v === 0
    ? { partitionIndex: i, errorCode: 0, oldStyleOffsets: [44n] }
    : { partitionIndex: i, errorCode: 0, timestamp: -1n, offset: 44n })
  const res: A.ListOffsetsResponse = { topics: [{ name: 'orders', partitions }] }
  if (v >= 2) res.throttleTimeMs = 0
  return res
}

function metadataRequest (v: number): A.MetadataRequest {
  return { topics: ['orders', 'payments'], allowAutoTopicCreation: v < 4 }
}

function metadataResponse (v: number): A.MetadataResponse {
  const broker: A.MetadataBroker = { nodeId: 1, host: 'localhost', port: 9092 }
  if (v >= 1) broker.rack = null
  const partition: A.MetadataPartition = { errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }
  if (v >= 5) partition.offlineReplicas = []
  const topic: A.MetadataTopic = { errorCode: 0, name: 'orders', partitions: [partition] }
  if (v >= 1) topic.isInternal = false
  const res: A.MetadataResponse = { brokers: [broker], topics: [topic] }
  if (v >= 3) res.throttleTimeMs = 0
  if (v >= 2) res.clusterId = 'embedded-cluster'
  if (v >= 1) res.controllerId = 1
  return res
}

function offsetCommitRequest (v: number): A.OffsetCommitRequest {
  return {
    groupId: 'group-1',
    generationId: v >= 1 ? 3 : -1,
    memberId: v >= 1 ? 'member-1' : '',
    retentionTimeMs: v >= 2 && v <= 4 ? 86400000n : -1n,
    topics: [{
      name: 'orders',
      partitions: [{ partitionIndex: 0, committedOffset: 43n, commitTimestamp: v === 1 ? T : -1n, committedMetadata: null }],
    }],
  }
}

function offsetCommitResponse (v: number): A.OffsetCommitResponse {
  const res: A.OffsetCommitResponse = { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] }
  if (v >= 3) res.throttleTimeMs = 0
  return res
}

function offsetFetchRequest (): A.OffsetFetchRequest {
  return { groupId: 'group-1', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }
}

function offsetFetchResponse (v: number): A.OffsetFetchResponse {
  const res: A.OffsetFetchResponse = {
    topics: [{
      name: 'orders',
      partitions: [
        { partitionIndex: 0, committedOffset: 43n, metadata: '', errorCode: 0 },
        { partitionIndex: 1, committedOffset: -1n, metadata: null, errorCode: 0 },
      ],
    }],
  }
  if (v >= 3) res.throttleTimeMs = 0
  if (v >= 2) res.errorCode = 0
  return res
}

function findCoordinatorResponse (v: number): A.FindCoordinatorResponse {
  const res: A.FindCoordinatorResponse = { errorCode: 0, nodeId: 1, host: 'localhost', port: 9092 }
  if (v >= 1) {
    res.throttleTimeMs = 0
    res.errorMessage = null
  }
  return res
}

function joinGroupRequest (v: number): A.JoinGroupRequest {
  return {
    groupId: 'group-1',
    sessionTimeoutMs: 30000,
    rebalanceTimeoutMs: v >= 1 ? 60000 : 30000,
    memberId: '',
    groupInstanceId: v >= 5 ? 'instance-1' : null,
    protocolType: 'consumer',
    protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115]) }],
  }
}

function joinGroupResponse (v: number): A.JoinGroupResponse {
  const member: A.JoinGroupMember = { memberId: 'member-1', metadata: Buffer.from([0, 1, 2]) }
  if (v >= 5) member.groupInstanceId = null
  const res: A.JoinGroupResponse = {
    errorCode: 0, generationId: 1, protocolName: 'RoundRobinAssigner', leader: 'member-1', memberId: 'member-1', members: [member],
  }
  if (v >= 2) res.throttleTimeMs = 0
  return res
}

function throttleAnd<T extends object> (v: number, from: number, body: T): T & { throttleTimeMs?: number } {
  return v >= from ? { throttleTimeMs: 0, ...body } : body
}

function createTopicsResponse (v: number): A.CreateTopicsResponse {
  const t: A.CreateTopicsTopicResult = { name: 'orders', errorCode: 0 }
  if (v >= 1) t.errorMessage = null
  return throttleAnd(v, 2, { topics: [t] })
}

export interface ApiSample {
  request (v: number): unknown
  response (v: number): unknown
}

/** By API key. */
export const samples: Record<number, ApiSample> = {
  0: { request: produceRequest, response: produceResponse },
  1: { request: fetchRequest, response: fetchResponse },
  2: { request: listOffsetsRequest, response: listOffsetsResponse },
  3: { request: metadataRequest, response: metadataResponse },
  8: { request: offsetCommitRequest, response: offsetCommitResponse },
  9: { request: offsetFetchRequest, response: offsetFetchResponse },
  10: {
    request: (): A.FindCoordinatorRequest => ({ key: 'group-1', keyType: 0 }),
    response: findCoordinatorResponse,
  },
  11: { request: joinGroupRequest, response: joinGroupResponse },
  12: {
    request: (v): A.HeartbeatRequest => ({ groupId: 'group-1', generationId: 1, memberId: 'member-1', groupInstanceId: v >= 3 ? 'instance-1' : null }),
    response: (v): A.HeartbeatResponse => throttleAnd(v, 1, { errorCode: 0 }),
  },
  13: {
    request: (): A.LeaveGroupRequest => ({ groupId: 'group-1', memberId: 'member-1' }),
    response: (v): A.LeaveGroupResponse => throttleAnd(v, 1, { errorCode: 0 }),
  },
  14: {
    request: (v): A.SyncGroupRequest => ({
      groupId: 'group-1', generationId: 1, memberId: 'member-1', groupInstanceId: v >= 3 ? 'instance-1' : null,
      assignments: [{ memberId: 'member-1', assignment: Buffer.from([0, 1, 0, 0, 0, 0]) }],
    }),
    response: (v): A.SyncGroupResponse => throttleAnd(v, 1, { errorCode: 0, assignment: Buffer.from([0, 1, 0, 0, 0, 0]) }),
  },
  15: {
    request: (): A.DescribeGroupsRequest => ({ groups: ['group-1'] }),
    response: (v): A.DescribeGroupsResponse => throttleAnd(v, 1, {
      groups: [{
        errorCode: 0, groupId: 'group-1', groupState: 'Stable', protocolType: 'consumer', protocolData: 'RoundRobinAssigner',
        members: [{ memberId: 'member-1', clientId: 'client', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([2]) }],
      }],
    }),
  },
  18: {
    request: (): A.ApiVersionsRequest => ({}),
    response: (v): A.ApiVersionsResponse => {
      const res: A.ApiVersionsResponse = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 1, minVersion: 4, maxVersion: 11 }] }
      if (v >= 1) res.throttleTimeMs = 0
      return res
    },
  },
  19: {
    request: (v): A.CreateTopicsRequest => ({
      topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '60000' }] }],
      timeoutMs: 5000,
      validateOnly: v >= 1,
    }),
    response: createTopicsResponse,
  },
  20: {
    request: (): A.DeleteTopicsRequest => ({ topicNames: ['orders'], timeoutMs: 5000 }),
    response: (v): A.DeleteTopicsResponse => throttleAnd(v, 1, { topics: [{ name: 'orders', errorCode: 0 }] }),
  },
}
