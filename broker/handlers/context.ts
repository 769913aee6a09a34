import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { BrokerConfig } from '../config.ts'
import type { GroupCoordinator } from '../group/coordinator.ts'
import type { BrokerMetrics } from '../metrics.ts'
import type { RequestHeader } from '../protocol/request-header.ts'
import type { ConnectionInfo } from '../server.ts'
import type { LogManager } from '../storage/log-manager.ts'
import type { OffsetStore } from '../storage/offset-store.ts'

/** Everything a request handler may use: the broker's parts, never the socket. */
export interface BrokerContext {
  readonly config: BrokerConfig
  readonly logs: LogManager
  readonly offsets: OffsetStore
  readonly groups: GroupCoordinator
  readonly clock: Clock
  readonly logger: Logger
  readonly metrics: BrokerMetrics
  /** The node id, host and port clients are told to connect to (known once listening). */
  readonly advertised: () => { nodeId: number, host: string, port: number }
  /** Aborted when the broker stops, ending long polls. */
  readonly signal: AbortSignal
}

export interface RequestInfo {
  readonly version: number
  readonly header: RequestHeader
  readonly conn: ConnectionInfo
}

/** One API's handler: a decoded request in, a response object out (null = send nothing). */
export type Handler<Req, Res> = (ctx: BrokerContext, req: Req, info: RequestInfo) => Res | null | Promise<Res | null>
