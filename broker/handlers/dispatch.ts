import { ApiKey, encodeApiVersionsFallback, encodeResponseFrame, getApi, isSupportedVersion, supportedVersions } from '../protocol/apis/index.ts'
import type { RequestOf, ResponseOf, SupportedApiKey } from '../protocol/apis/index.ts'
import { ProtocolDecodeError } from '../protocol/errors.ts'
import { Reader } from '../protocol/reader.ts'
import { decodeRequestHeader } from '../protocol/request-header.ts'
import type { RequestHeader } from '../protocol/request-header.ts'
import { CloseConnection } from '../server.ts'
import type { ConnectionInfo, FrameHandler } from '../server.ts'
import type { BrokerContext, Handler } from './context.ts'
import { handleFetch } from './fetch.ts'
import { handleDescribeGroups, handleFindCoordinator, handleHeartbeat, handleJoinGroup, handleLeaveGroup, handleSyncGroup } from './groups.ts'
import { handleListOffsets } from './list-offsets.ts'
import { handleMetadata } from './metadata.ts'
import { handleOffsetCommit, handleOffsetFetch } from './offsets.ts'
import { handleProduce } from './produce.ts'
import { handleCreateTopics, handleDeleteTopics } from './topics.ts'

type Handlers = { [K in SupportedApiKey]: Handler<RequestOf<K>, ResponseOf<K>> }

/** The one table from API key to handler; the compiler checks every supported API has one. */
const handlers: Handlers = {
  [ApiKey.Produce]: handleProduce,
  [ApiKey.Fetch]: handleFetch,
  [ApiKey.ListOffsets]: handleListOffsets,
  [ApiKey.Metadata]: handleMetadata,
  [ApiKey.OffsetCommit]: handleOffsetCommit,
  [ApiKey.OffsetFetch]: handleOffsetFetch,
  [ApiKey.FindCoordinator]: handleFindCoordinator,
  [ApiKey.JoinGroup]: handleJoinGroup,
  [ApiKey.Heartbeat]: handleHeartbeat,
  [ApiKey.LeaveGroup]: handleLeaveGroup,
  [ApiKey.SyncGroup]: handleSyncGroup,
  [ApiKey.DescribeGroups]: handleDescribeGroups,
  [ApiKey.ApiVersions]: () => ({ errorCode: 0, apiKeys: supportedVersions(), throttleTimeMs: 0 }),
  [ApiKey.CreateTopics]: handleCreateTopics,
  [ApiKey.DeleteTopics]: handleDeleteTopics,
}

/**
 * Turns a request frame into a response frame. The bad-input policy lives here: an undecodable
 * header or body, an unknown API key or an unsupported version closes the connection (what Kafka
 * does), except ApiVersions, which always gets the KIP-511 answer listing what we support.
 * Everything up to the handler call is synchronous, which keeps pipelined produce requests in
 * order (see handlers/produce.ts).
 */
export function createDispatcher (ctx: BrokerContext): FrameHandler {
  return async (frame: Buffer, conn: ConnectionInfo): Promise<Buffer[] | null> => {
    let header: RequestHeader
    let bodyOffset: number
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame))
    } catch (err) {
      throw new CloseConnection('malformed_header', (err as Error).message)
    }
    const { apiKey, apiVersion: version, correlationId } = header
    if (apiKey === ApiKey.ApiVersions && !isSupportedVersion(apiKey, version)) return encodeApiVersionsFallback(correlationId)
    const api = getApi(apiKey)
    if (api === undefined) throw new CloseConnection('unknown_api_key', `unknown API key ${apiKey}`)
    if (!isSupportedVersion(apiKey, version)) throw new CloseConnection('unsupported_version', `${api.name} v${version} is not supported (${api.minVersion}-${api.maxVersion})`)
    let request: unknown
    try {
      request = api.decodeRequest(version, new Reader(frame, bodyOffset))
    } catch (err) {
      if (err instanceof ProtocolDecodeError) throw new CloseConnection('malformed_request', `${api.name} v${version}: ${err.message}`)
      throw err
    }
    const started = performance.now()
    const handler = handlers[apiKey as SupportedApiKey] as Handler<unknown, unknown>
    const response = await handler(ctx, request, { version, header, conn })
    ctx.metrics.requests.inc({ api: api.name })
    ctx.metrics.requestSeconds.observe({ api: api.name }, (performance.now() - started) / 1000)
    if (response === null) return null
    return encodeResponseFrame(apiKey as SupportedApiKey, version, correlationId, response as ResponseOf<SupportedApiKey>)
  }
}

