/**
 * Responses encoded by our codecs must decode with kafkajs 2.2.4's own response decoders (and
 * pass its parse step) to the values we put in. kafkajs renames fields, so each API maps our
 * sample to kafkajs's shape; comparisons go through JSON (bigint → string, Buffer → hex).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writer } from '../writer.ts'
import { KafkaError } from '../error-codes.ts'
import { samples } from '../test-samples.ts'
import { apis, encodeApiVersionsFallback, supportedVersions } from './index.ts'
import type * as A from './index.ts'
import { kafkajsResponse, plain } from './kafkajs-ref.ts'

type Obj = Record<string, unknown>
const hex = (b: Buffer): string => b.toString('hex')
/** Adds `key: value` only when `cond` holds (fields that exist from some version on). */
const when = (cond: boolean, o: Obj): Obj => cond ? o : {}

const cases: Record<number, { dir: string, expect: (v: number, res: never) => Obj }> = {
  0: {
    dir: 'produce',
    expect: (v, res: A.ProduceResponse) => ({
      topics: res.topics.map((t) => ({
        topicName: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partitionIndex, errorCode: p.errorCode, baseOffset: String(p.baseOffset), logAppendTime: String(p.logAppendTimeMs),
          ...when(v >= 5, { logStartOffset: String(p.logStartOffset) }),
        })),
      })),
    }),
  },
  2: {
    dir: 'listOffsets',
    expect: (v, res: A.ListOffsetsResponse) => ({
      responses: res.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => v === 0
          ? { partition: p.partitionIndex, errorCode: p.errorCode, offsets: (p.oldStyleOffsets ?? []).map(String) }
          : { partition: p.partitionIndex, errorCode: p.errorCode, timestamp: String(p.timestamp), offset: String(p.offset) }),
      })),
    }),
  },
  3: {
    dir: 'metadata',
    expect: (v, res: A.MetadataResponse) => ({
      brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, ...when(v >= 1, { rack: b.rack }) })),
      ...when(v >= 2, { clusterId: res.clusterId }),
      ...when(v >= 1, { controllerId: res.controllerId }),
      topicMetadata: res.topics.map((t) => ({
        topicErrorCode: t.errorCode, topic: t.name, ...when(v >= 1, { isInternal: t.isInternal }),
        partitionMetadata: t.partitions.map((p) => ({
          partitionErrorCode: p.errorCode, partitionId: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes,
          ...when(v >= 5, { offlineReplicas: p.offlineReplicas }),
        })),
      })),
    }),
  },
  8: {
    dir: 'offsetCommit',
    expect: (_v, res: A.OffsetCommitResponse) => ({
      responses: res.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode })) })),
    }),
  },
  9: {
    dir: 'offsetFetch',
    expect: (v, res: A.OffsetFetchResponse) => ({
      responses: res.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: String(p.committedOffset), metadata: p.metadata, errorCode: p.errorCode })),
      })),
      ...when(v >= 2, { errorCode: res.errorCode }),
    }),
  },
  10: {
    dir: 'findCoordinator',
    expect: (v, res: A.FindCoordinatorResponse) => ({
      errorCode: res.errorCode, coordinator: { nodeId: res.nodeId, host: res.host, port: res.port },
      ...when(v >= 1, { errorMessage: res.errorMessage }),
    }),
  },
  11: {
    dir: 'joinGroup',
    expect: (v, res: A.JoinGroupResponse) => ({
      errorCode: res.errorCode, generationId: res.generationId, groupProtocol: res.protocolName, leaderId: res.leader, memberId: res.memberId,
      members: res.members.map((m) => ({ memberId: m.memberId, ...when(v >= 5, { groupInstanceId: m.groupInstanceId }), memberMetadata: hex(m.metadata) })),
    }),
  },
  12: { dir: 'heartbeat', expect: (_v, res: A.HeartbeatResponse) => ({ errorCode: res.errorCode }) },
  13: { dir: 'leaveGroup', expect: (_v, res: A.LeaveGroupResponse) => ({ errorCode: res.errorCode }) },
  14: { dir: 'syncGroup', expect: (_v, res: A.SyncGroupResponse) => ({ errorCode: res.errorCode, memberAssignment: hex(res.assignment) }) },
  15: {
    dir: 'describeGroups',
    expect: (_v, res: A.DescribeGroupsResponse) => ({
      groups: res.groups.map((g) => ({
        errorCode: g.errorCode, groupId: g.groupId, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: hex(m.memberMetadata), memberAssignment: hex(m.memberAssignment),
        })),
      })),
    }),
  },
  18: { dir: 'apiVersions', expect: (_v, res: A.ApiVersionsResponse) => ({ errorCode: res.errorCode, apiVersions: res.apiKeys }) },
  19: {
    dir: 'createTopics',
    expect: (v, res: A.CreateTopicsResponse) => ({
      topicErrors: res.topics.map((t) => ({ topic: t.name, errorCode: t.errorCode, ...when(v >= 1, { errorMessage: t.errorMessage }) })),
    }),
  },
  20: { dir: 'deleteTopics', expect: (_v, res: A.DeleteTopicsResponse) => ({ topicErrors: res.topics.map((t) => ({ topic: t.name, errorCode: t.errorCode })) }) },
}

function encode (key: number, v: number, res: unknown): Buffer {
  const w = new Writer()
  ;(apis[key as keyof typeof apis] as A.AnyApiCodec).encodeResponse(v, res, w)
  return w.toBuffer()
}

/** kafkajs output restricted to the keys we expect (it adds throttle bookkeeping fields). */
function pick (got: Obj, want: Obj): Obj {
  return Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]))
}

for (const [key, c] of Object.entries(cases)) {
  const codec = apis[Number(key) as keyof typeof apis] as A.AnyApiCodec
  for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
    test(`${codec.name} v${v} response decoded by kafkajs`, async () => {
      const res = samples[codec.apiKey]!.response(v)
      const got = await kafkajsResponse(c.dir, v, encode(codec.apiKey, v, res))
      const want = c.expect(v, res as never)
      assert.deepEqual(plain(pick(got, want)), plain(want))
    })
  }
}

for (let v = 4; v <= 11; v++) {
  test(`Fetch v${v} response decoded by kafkajs (records and empty record sets)`, async () => {
    const res = samples[1]!.response(v) as A.FetchResponse
    // Also send the stored batch as two chunks to exercise the by-reference path.
    const p0 = res.topics[0]!.partitions[0]!
    const batch = p0.records as Buffer
    p0.records = [batch.subarray(0, 20), batch.subarray(20)]
    const got = await kafkajsResponse('fetch', v, encode(1, v, res)) as {
      responses: { topicName: string, partitions: (Obj & { messages: { offset: string, key: Buffer | null, value: Buffer, timestamp: string }[] })[] }[]
    }
    const [full, empty] = got.responses[0]!.partitions
    assert.equal(got.responses[0]!.topicName, 'orders')
    assert.equal(full!.partition, 0)
    assert.equal(full!.highWatermark, '44')
    assert.equal(full!.lastStableOffset, '44')
    if (v >= 5) assert.equal(full!.lastStartOffset, '0')
    if (v >= 11) assert.equal(full!.preferredReadReplica, -1)
    assert.deepEqual(full!.abortedTransactions, [])
    assert.deepEqual(full!.messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value.toString(), m.timestamp]), [
      ['42', 'key-0', 'value-0', '1700000000000'], ['43', null, 'value-1', '1700000000007'],
    ])
    assert.deepEqual(empty!.messages, [])
    assert.deepEqual(empty!.abortedTransactions, [])
  })
}

test('the KIP-511 fallback is an ApiVersions v0 body that kafkajs reads as UNSUPPORTED_VERSION', async () => {
  const frame = Buffer.concat(encodeApiVersionsFallback(99))
  assert.equal(frame.readInt32BE(0), frame.length - 4)
  assert.equal(frame.readInt32BE(4), 99)
  await assert.rejects(kafkajsResponse('apiVersions', 0, frame.subarray(8)), { type: 'UNSUPPORTED_VERSION' })
  const { Reader } = await import('../reader.ts')
  const body = apis[18].decodeResponse(0, new Reader(frame, 8))
  assert.equal(body.errorCode, KafkaError.UNSUPPORTED_VERSION)
  assert.deepEqual(body.apiKeys, supportedVersions())
})

test('kafkajs maps our error codes to its errors', async () => {
  await assert.rejects(kafkajsResponse('heartbeat', 1, encode(12, 1, { throttleTimeMs: 0, errorCode: KafkaError.REBALANCE_IN_PROGRESS })),
    { type: 'REBALANCE_IN_PROGRESS' })
  await assert.rejects(kafkajsResponse('findCoordinator', 2, encode(10, 2, { errorCode: KafkaError.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 })),
    { type: 'GROUP_COORDINATOR_NOT_AVAILABLE' })
})
