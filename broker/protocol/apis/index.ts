/**
 * The API registry: every supported API by key, the ranges advertised in ApiVersions, and the
 * response framing the server writes (int32 size | response header v0 | body).
 */
import { KafkaError } from '../error-codes.ts'
import { Writer } from '../writer.ts'
import { apiVersions } from './api-versions.ts'
import type { ApiVersionRange } from './api-versions.ts'
import { createTopics } from './create-topics.ts'
import { deleteTopics } from './delete-topics.ts'
import { describeGroups } from './describe-groups.ts'
import { fetch } from './fetch.ts'
import { findCoordinator } from './find-coordinator.ts'
import { heartbeat } from './heartbeat.ts'
import { joinGroup } from './join-group.ts'
import { leaveGroup } from './leave-group.ts'
import { listOffsets } from './list-offsets.ts'
import { metadata } from './metadata.ts'
import { offsetCommit } from './offset-commit.ts'
import { offsetFetch } from './offset-fetch.ts'
import { produce } from './produce.ts'
import { syncGroup } from './sync-group.ts'
import type { ApiCodec } from './types.ts'

export type { ApiCodec } from './types.ts'
export type * from './api-versions.ts'
export type * from './create-topics.ts'
export type * from './delete-topics.ts'
export type * from './describe-groups.ts'
export type * from './fetch.ts'
export type * from './find-coordinator.ts'
export type * from './heartbeat.ts'
export type * from './join-group.ts'
export type * from './leave-group.ts'
export type * from './list-offsets.ts'
export type * from './metadata.ts'
export type * from './offset-commit.ts'
export type * from './offset-fetch.ts'
export type * from './produce.ts'
export type * from './sync-group.ts'
export { CoordinatorType } from './find-coordinator.ts'
export { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from './list-offsets.ts'
export {
  apiVersions, createTopics, deleteTopics, describeGroups, fetch, findCoordinator, heartbeat, joinGroup, leaveGroup,
  listOffsets, metadata, offsetCommit, offsetFetch, produce, syncGroup,
}

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
} as const

/** Every supported API by key, typed per key (`apis[1]` is the Fetch codec). */
export const apis = {
  0: produce,
  1: fetch,
  2: listOffsets,
  3: metadata,
  8: offsetCommit,
  9: offsetFetch,
  10: findCoordinator,
  11: joinGroup,
  12: heartbeat,
  13: leaveGroup,
  14: syncGroup,
  15: describeGroups,
  18: apiVersions,
  19: createTopics,
  20: deleteTopics,
} as const

export type SupportedApiKey = keyof typeof apis
export type RequestOf<K extends SupportedApiKey> = (typeof apis)[K] extends ApiCodec<infer Q, infer _R> ? Q : never
export type ResponseOf<K extends SupportedApiKey> = (typeof apis)[K] extends ApiCodec<infer _Q, infer R> ? R : never

/** Codecs are bivariant in their methods, so every codec fits this widened view. */
export type AnyApiCodec = ApiCodec<unknown, unknown>

const BY_KEY = new Map<number, AnyApiCodec>(Object.values(apis).map((c) => [c.apiKey, c as AnyApiCodec]))

/** The codec for an API key, or undefined when the key is not supported. */
export function getApi (apiKey: number): AnyApiCodec | undefined {
  return BY_KEY.get(apiKey)
}

export function isSupportedVersion (apiKey: number, version: number): boolean {
  const c = BY_KEY.get(apiKey)
  return c !== undefined && version >= c.minVersion && version <= c.maxVersion
}

/** The ranges advertised in ApiVersions responses, by ascending key. */
export function supportedVersions (): ApiVersionRange[] {
  return [...BY_KEY.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((c) => ({ apiKey: c.apiKey, minVersion: c.minVersion, maxVersion: c.maxVersion }))
}

/** Turns an encoded header+body into frame chunks: a 4-byte size prefix, then the chunks. */
function frame (w: Writer): Buffer[] {
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(w.length, 0)
  return [size, ...w.toChunks()]
}

/**
 * A complete response frame (size | correlation id | body) as chunks for a vectored write;
 * record data in Fetch responses is referenced, not copied.
 */
export function encodeResponseFrame<K extends SupportedApiKey> (
  apiKey: K, version: number, correlationId: number, res: ResponseOf<K>,
): Buffer[] {
  const w = new Writer(1024).int32(correlationId)
  ;(apis[apiKey] as AnyApiCodec).encodeResponse(version, res, w)
  return frame(w)
}

/**
 * The KIP-511 answer to an ApiVersions request whose version we do not support (e.g. v3+ with
 * its flexible encoding): a v0 body with UNSUPPORTED_VERSION and our full list, so the client
 * can retry with a version we speak. A complete frame, as chunks.
 */
export function encodeApiVersionsFallback (correlationId: number): Buffer[] {
  const w = new Writer(256).int32(correlationId)
  apiVersions.encodeResponse(0, { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys: supportedVersions() }, w)
  return frame(w)
}
