/**
 * Requests encoded by kafkajs 2.2.4 (the independent reference) must decode with our codecs to
 * the expected objects, consume every byte, and re-encode with our encoder to the same bytes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Reader } from '../reader.ts'
import { Writer } from '../writer.ts'
import { decodeRecords, validateRecordBatch } from '../record-batch.ts'
import { apis } from './index.ts'
import type { AnyApiCodec, ProduceRequest } from './index.ts'
import { kafkajsRequest } from './kafkajs-ref.ts'

const T = 1_700_000_000_000

interface Case {
  dir: string
  args: (v: number) => Record<string, unknown>
  /** The expected decoded request, or a function asserting on it. */
  expect: (v: number) => unknown
}

const meta = Buffer.from([0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115])

const cases: Record<number, Case> = {
  1: {
    dir: 'fetch',
    args: () => ({
      replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 0, sessionId: 12, sessionEpoch: 3,
      forgottenTopics: [{ topic: 'old', partitions: [1, 2] }], rackId: 'rack-a',
      topics: [{ topic: 'orders', partitions: [{ partition: 2, currentLeaderEpoch: 4, fetchOffset: '42', logStartOffset: '7', maxBytes: 1048576 }] }],
    }),
    expect: (v) => ({
      replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 0,
      sessionId: v >= 7 ? 12 : 0, sessionEpoch: v >= 7 ? 3 : -1,
      topics: [{ name: 'orders', partitions: [{
        partitionIndex: 2, currentLeaderEpoch: v >= 9 ? 4 : -1, fetchOffset: 42n, logStartOffset: v >= 5 ? 7n : -1n, partitionMaxBytes: 1048576,
      }] }],
      forgottenTopics: v >= 7 ? [{ name: 'old', partitions: [1, 2] }] : [],
      rackId: v >= 11 ? 'rack-a' : '',
    }),
  },
  2: {
    dir: 'listOffsets',
    args: () => ({ replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 0, timestamp: -2 }, { partition: 1, timestamp: T }] }] }),
    expect: (v) => ({
      replicaId: -1, isolationLevel: v >= 2 ? 1 : 0,
      topics: [{ name: 'orders', partitions: [
        { partitionIndex: 0, timestamp: -2n, maxNumOffsets: 1 },
        { partitionIndex: 1, timestamp: BigInt(T), maxNumOffsets: 1 },
      ] }],
    }),
  },
  3: {
    dir: 'metadata',
    args: (v) => ({ topics: v === 2 ? [] : ['orders', 'payments'], allowAutoTopicCreation: false }),
    expect: (v) => ({ topics: v === 2 ? null : ['orders', 'payments'], allowAutoTopicCreation: v < 4 }),
  },
  8: {
    dir: 'offsetCommit',
    args: () => ({
      groupId: 'g', groupGenerationId: 3, memberId: 'm', retentionTime: 86400000,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '43', timestamp: T, metadata: 'meta' }, { partition: 1, offset: '5', timestamp: T + 1 }] }],
    }),
    expect: (v) => ({
      groupId: 'g', generationId: v >= 1 ? 3 : -1, memberId: v >= 1 ? 'm' : '', retentionTimeMs: v >= 2 && v <= 4 ? 86400000n : -1n,
      topics: [{ name: 'orders', partitions: [
        { partitionIndex: 0, committedOffset: 43n, commitTimestamp: v === 1 ? BigInt(T) : -1n, committedMetadata: 'meta' },
        { partitionIndex: 1, committedOffset: 5n, commitTimestamp: v === 1 ? BigInt(T + 1) : -1n, committedMetadata: null },
      ] }],
    }),
  },
  9: {
    dir: 'offsetFetch',
    args: (v) => ({ groupId: 'g', topics: v === 4 ? [] : [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] }] }),
    expect: (v) => ({ groupId: 'g', topics: v === 4 ? null : [{ name: 'orders', partitionIndexes: [0, 1] }] }),
  },
  10: {
    dir: 'findCoordinator',
    args: () => ({ groupId: 'g', coordinatorKey: 'g', coordinatorType: 0 }),
    expect: () => ({ key: 'g', keyType: 0 }),
  },
  11: {
    dir: 'joinGroup',
    args: () => ({
      groupId: 'g', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', groupInstanceId: 'inst', protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: meta }],
    }),
    expect: (v) => ({
      groupId: 'g', sessionTimeoutMs: 30000, rebalanceTimeoutMs: v >= 1 ? 60000 : 30000, memberId: '',
      groupInstanceId: v >= 5 ? 'inst' : null, protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata: meta }],
    }),
  },
  12: {
    dir: 'heartbeat',
    args: () => ({ groupId: 'g', groupGenerationId: 4, memberId: 'm', groupInstanceId: 'inst' }),
    expect: (v) => ({ groupId: 'g', generationId: 4, memberId: 'm', groupInstanceId: v >= 3 ? 'inst' : null }),
  },
  13: {
    dir: 'leaveGroup',
    args: () => ({ groupId: 'g', memberId: 'm' }),
    expect: () => ({ groupId: 'g', memberId: 'm' }),
  },
  14: {
    dir: 'syncGroup',
    args: () => ({ groupId: 'g', generationId: 4, memberId: 'm', groupInstanceId: 'inst', groupAssignment: [{ memberId: 'm', memberAssignment: meta }] }),
    expect: (v) => ({
      groupId: 'g', generationId: 4, memberId: 'm', groupInstanceId: v >= 3 ? 'inst' : null, assignments: [{ memberId: 'm', assignment: meta }],
    }),
  },
  15: {
    dir: 'describeGroups',
    args: () => ({ groupIds: ['g1', 'g2'] }),
    expect: () => ({ groups: ['g1', 'g2'] }),
  },
  18: { dir: 'apiVersions', args: () => ({}), expect: () => ({}) },
  19: {
    dir: 'createTopics',
    args: () => ({
      timeout: 5000, validateOnly: true,
      topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 1, replicaAssignment: [{ partition: 0, replicas: [1] }], configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }],
    }),
    expect: (v) => ({
      timeoutMs: 5000, validateOnly: v >= 1,
      topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [{ name: 'cleanup.policy', value: 'delete' }] }],
    }),
  },
  20: {
    dir: 'deleteTopics',
    args: () => ({ topics: ['orders', 'payments'], timeout: 5000 }),
    expect: () => ({ topicNames: ['orders', 'payments'], timeoutMs: 5000 }),
  },
}

function decodeAll (codec: AnyApiCodec, v: number, body: Buffer): unknown {
  const r = new Reader(body)
  const req = codec.decodeRequest(v, r)
  assert.equal(r.remaining, 0, 'every byte consumed')
  const w = new Writer()
  codec.encodeRequest(v, req, w)
  assert.deepEqual(w.toBuffer(), body, 're-encodes to the same bytes')
  return req
}

for (const [key, c] of Object.entries(cases)) {
  const codec = apis[Number(key) as keyof typeof apis] as AnyApiCodec
  for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
    test(`${codec.name} v${v} request from kafkajs`, async () => {
      const body = await kafkajsRequest(c.dir, v, c.args(v))
      const got = decodeAll(codec, v, body)
      assert.deepEqual(got, c.expect(v))
    })
  }
}

const produceCodec = apis[0]
for (let v = produceCodec.minVersion; v <= produceCodec.maxVersion; v++) {
  for (const compression of [0, 1]) {
    test(`Produce v${v} request from kafkajs (${compression === 1 ? 'gzip' : 'uncompressed'})`, async () => {
      const body = await kafkajsRequest('produce', v, {
        acks: -1, timeout: 30000, compression, transactionalId: compression === 1 ? 'tx-1' : null,
        topicData: [{ topic: 'orders', partitions: [{ partition: 1, messages: [
          { key: Buffer.from('k0'), value: Buffer.from('v0'), timestamp: T, headers: { h: Buffer.from('x') } },
          { key: null, value: Buffer.from('v1'), timestamp: T + 9 },
        ] }] }],
      })
      const req = decodeAll(produceCodec as AnyApiCodec, v, body) as ProduceRequest
      assert.equal(req.acks, -1)
      assert.equal(req.timeoutMs, 30000)
      assert.equal(req.transactionalId, compression === 1 ? 'tx-1' : null)
      assert.equal(req.topics[0]!.name, 'orders')
      const p = req.topics[0]!.partitions[0]!
      assert.equal(p.partitionIndex, 1)
      assert.ok(p.records)
      const check = validateRecordBatch(p.records)
      assert.ok(check.ok, check.ok ? '' : check.reason)
      assert.equal(check.header.compression, compression)
      assert.equal(check.header.isTransactional, compression === 1)
      const recs = decodeRecords(p.records)
      assert.deepEqual(recs.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()]), [
        [0n, BigInt(T), 'k0', 'v0'], [1n, BigInt(T + 9), null, 'v1'],
      ])
      assert.deepEqual(recs[0]!.headers, [{ key: 'h', value: Buffer.from('x') }])
    })
  }
}
