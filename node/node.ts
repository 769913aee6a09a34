import { Hono } from 'hono'
import type { Registry } from 'prom-client'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { Service } from '../common/service.ts'
import { ownedPartitions } from '../ingest/config.ts'
import { Distributor } from '../ingest/distributor.ts'
import { KafkaConnection } from '../ingest/kafka/connection.ts'
import { createIngestMetrics } from '../ingest/metrics.ts'
import { createOtlpHttpApp } from '../ingest/otlp-http/app.ts'
import { PartitionReader } from '../ingest/partition-reader.ts'
import { RingRouting } from '../ingest/ring-routing.ts'
import { partitionTokens } from '../ring/tokens.ts'
import { createQueryApp } from '../query/app.ts'
import { ClusterSearcher, ClusterTraceFinder, createInternalQueryHandler, createLocalTraceLookup } from '../query/cluster/index.ts'
import type { ClusterView } from '../query/cluster/index.ts'
import { resolvePreferredZone } from '../query/config.ts'
import { createLocalSearch } from '../query/search/local.ts'
import { createNodeSearch } from '../query/search/node-answer.ts'
import type { SearchDeps } from '../query/search/routes.ts'
import { compileTraceQL, parseTagRef } from '../query/traceql/index.ts'
import { TraceFlusher } from '../store/flusher.ts'
import { TraceStore } from '../store/store.ts'
import { BlockStore } from '../wal/block-store.ts'
import { workerBlockEncoder } from '../wal/encoder.ts'
import { buildInfo } from './build-info.ts'
import { watchCatchUp } from './catch-up.ts'
import { ClusterMembership } from './cluster.ts'
import { createRingHttpApp } from './ring-http.ts'
import { EmbeddedBroker, registryWithBroker } from './embedded-broker.ts'
import type { NodeConfig } from './config.ts'
import { HttpService } from './http-service.ts'
import type { Readiness } from '../common/readiness.ts'
import { NodeReadiness, servingReadiness } from './readiness.ts'
import { ServiceRunner } from './service-runner.ts'

export interface NodeDeps {
  config: NodeConfig
  clock: Clock
  logger: Logger
  registry: Registry
  /** Called when a part of the node dies on its own (the embedded broker thread); stop the node. */
  onFatal?: (err: Error) => void
}

export interface LiveStoreNode {
  readonly runner: ServiceRunner
  readonly readiness: NodeReadiness
  /** The embedded broker, when `kafka.brokers` is empty. */
  readonly broker: EmbeddedBroker | undefined
  readonly kafka: KafkaConnection
  readonly store: TraceStore
  readonly blocks: BlockStore
  readonly reader: PartitionReader
  readonly flusher: TraceFlusher
  /** The gossip cluster membership, when `memberlist.enabled`. */
  readonly cluster: ClusterMembership | undefined
  readonly distributor: Distributor
  readonly api: HttpService
  readonly otlpHttp: HttpService
  start (signal: AbortSignal): Promise<void>
  stop (): Promise<void>
}

/**
 * Composes one node. Start order: embedded broker (when no external Kafka is configured) →
 * Kafka connection (topic ensured) → block encoder threads → block store (loads the blocks on
 * disk) → partition reader (resumes each owned partition at its durable watermark) → flusher
 * (memory → head blocks) → distributor → query API → OTLP receiver; stop is the reverse, so the
 * flusher writes everything in memory to the WAL before the reader's last commit. Readiness turns
 * `ready` when everything runs (or `catching-up` first, with `readiness_target_lag`), and
 * `stopping` before anything stops.
 */
export function createNode ({ config, clock, logger, registry, onFatal }: NodeDeps): LiveStoreNode {
  const readiness = new NodeReadiness()
  const ingestMetrics = createIngestMetrics(registry)
  const broker = config.kafka.brokers.length === 0
    ? new EmbeddedBroker({ config: config.broker, logLevel: config.server.log_level, logger: logger.child({ component: 'broker' }), onCrash: (err) => onFatal?.(err) })
    : undefined
  const kafka = new KafkaConnection({
    config: config.kafka,
    brokers: () => broker === undefined ? [...config.kafka.brokers] : [`127.0.0.1:${broker.address().port}`],
    logger: logger.child({ component: 'kafka' }),
  })
  const ls = config.live_store
  const ringMode = config.memberlist.enabled
  const encoder = workerBlockEncoder(ls.complete_block_concurrency)
  const encoderService: Service = { name: 'block-encoder', state: 'running', start: async () => {}, stop: () => encoder.close() }
  const blocks = new BlockStore({ root: ls.wal.path, config: ls, clock, logger: logger.child({ component: 'blocks' }), registry, encoder })
  const store = new TraceStore({ limits: config.overrides, clock, registry, flushed: blocks })
  const reader = new PartitionReader({
    kafka: () => kafka.kafka,
    topic: config.kafka.topic,
    // With the ring, partitions come and go with ownership (ClusterMembership drives assign/revoke).
    partitions: ringMode ? async () => [] : async () => ownedPartitions(ls) ?? Array.from({ length: await kafka.partitionCount() }, (_, p) => p),
    offsetsAt: (ts) => kafka.offsetsAt(ts),
    endOffsets: () => kafka.endOffsets(),
    committedOffsets: (group) => kafka.committedOffsets(group),
    hasLocalData: (p) => blocks.loadReport().partitionsWithData.has(p),
    // One offset store per zone (Tempo: the group is the instance id minus its `-N`, per zone):
    // each zone consumes every partition; within a zone, the group fences a standby.
    config: ls.instance_zone === '' ? ls : { ...ls, consumer_group: `${ls.consumer_group}-${ls.instance_zone}` },
    consume: (tenant, traces, ts, source) => { store.pushTraces(tenant, traces, ts, source) },
    watermarks: store.watermarks,
    mustWait: (tenant) => ls.max_live_traces_bytes > 0 && (store.instance(tenant)?.liveBytes ?? 0) >= ls.max_live_traces_bytes,
    metrics: ingestMetrics,
    clock,
    logger: logger.child({ component: 'partition-reader' }),
  })
  const flusher = new TraceFlusher({ store, blocks, config: ls, clock, logger: logger.child({ component: 'flusher' }) })
  // Search over memory and blocks (query/search/local.ts) with the TraceQL engine (query/traceql/).
  const search: SearchDeps = { localSearch: createLocalSearch({ store, blocks }), compile: (q) => compileTraceQL(q), parseTagRef }
  // What this node's answers to queries say about it: catching up also while its Kafka consumer
  // is stalled (after a network cut), so queriers prefer an owner that is not behind.
  const serving = servingReadiness(readiness, () => reader.stalled())
  const serveQueries = createInternalQueryHandler({ finder: store, readiness: serving, localSearch: search.localSearch, compile: search.compile, clock, searchTimeoutMs: config.query.search_timeout })
  const cluster = ringMode
    ? new ClusterMembership({ config, clock, logger: logger.child({ component: 'cluster' }), registry, consumer: reader, serveQueries })
    : undefined
  const view = cluster === undefined ? undefined : clusterView(cluster, serving, config)
  const clusterFinder = view === undefined || cluster === undefined ? undefined : clusterTraceFinder(view, cluster, store, serving, config, clock)
  const clusterSearch = view === undefined || cluster === undefined
    ? undefined
    : new ClusterSearcher({
      view,
      ask: (nodeId, request, signal) => cluster.ask(nodeId, request, signal),
      local: createNodeSearch({ localSearch: search.localSearch, readiness: serving }),
      clock,
      hedgeAfterMs: config.query.hedge_after,
      timeoutMs: config.query.search_timeout,
    })
  // Writes go to active partitions by ring token (Tempo's scheme); without a ring, by modulo.
  const routing = cluster === undefined ? undefined : new RingRouting({ activePartitions: () => cluster.activePartitions(), tokensOf: (p) => partitionTokens(p) })
  const distributor = new Distributor({
    kafka: () => kafka.kafka,
    topic: config.kafka.topic,
    partitionCount: () => kafka.partitionCount(),
    ...(routing === undefined ? {} : { route: routing.route }),
    config: config.distributor,
    metrics: ingestMetrics,
    clock,
    logger: logger.child({ component: 'distributor' }),
  })
  const api = new HttpService({
    name: 'query-api',
    app: withRingRoutes(
      createQueryApp({
        store,
        ...(clusterFinder === undefined ? {} : { cluster: clusterFinder }),
        search,
        ...(clusterSearch === undefined ? {} : { clusterSearch }),
        clock,
        readiness,
        registry: broker === undefined ? registry : registryWithBroker(registry, broker),
        logger: logger.child({ component: 'query' }),
        config,
        buildInfo: buildInfo(),
        statusConfig: config,
      }),
      cluster === undefined ? undefined : createRingHttpApp({ cluster, clock, readiness, registry, logger: logger.child({ component: 'ring-http' }) }),
    ),
    host: config.server.http_listen_address,
    port: config.server.http_listen_port,
    logger,
  })
  const otlpHttp = new HttpService({
    name: 'otlp-http',
    app: createOtlpHttpApp({ push: (tenant, data) => distributor.push(tenant, data), readiness, config: config.distributor, multitenancy: config.multitenancy_enabled, metrics: ingestMetrics, logger: logger.child({ component: 'otlp-http' }) }),
    host: config.distributor.otlp_http_listen_address,
    port: config.distributor.otlp_http_listen_port,
    logger,
  })
  // The cluster starts before the reader (partitions assigned meanwhile are opened by its start,
  // so the start-up catch-up covers them) and stops after it: the reader's last commits land
  // before the ownership is given up, so a standby never consumes at the same time.
  const services: Service[] = [...(broker === undefined ? [] : [broker]), kafka, encoderService, blocks, ...(cluster === undefined ? [] : [cluster]), reader, flusher, distributor, api, otlpHttp]
  const runner = new ServiceRunner(services, logger)
  let catchUp: { cancel: () => void } | undefined
  return {
    runner, readiness, broker, kafka, store, blocks, reader, flusher, cluster, distributor, api, otlpHttp,
    async start (signal) {
      readiness.set('starting', 'live-store is starting')
      await runner.start(signal)
      if (ls.readiness_target_lag > 0) {
        catchUp = watchCatchUp({ readiness, progress: () => reader.catchUp(), targetLagMs: ls.readiness_target_lag, maxWaitMs: ls.readiness_max_wait, clock, logger })
      } else readiness.set('ready')
    },
    async stop () {
      catchUp?.cancel()
      readiness.set('stopping', 'Application is stopping')
      await runner.stop()
    },
  }
}

/** The ring as the cluster queries see it (trace by id and search share it). */
function clusterView (cluster: ClusterMembership, readiness: Readiness, config: NodeConfig): ClusterView {
  const selfId = config.live_store.instance_id
  return {
    selfId,
    preferredZone: resolvePreferredZone(config.query, config.live_store.instance_zone),
    partitions: () => cluster.queryPartitions(),
    // A peer still replaying says so in its answer; only this node's own state is known here.
    owners: (p) => cluster.ownersOf(p).map((o) => ({ ...o, catchingUp: o.nodeId === selfId && readiness.state() === 'catching-up' })),
  }
}

/**
 * Trace by id for the whole cluster: one owner per partition, own zone first, hedged to the
 * other zone after `query.hedge_after` (query/cluster/fanout.ts); this node answers its own
 * partitions locally, the others over the cluster's query channel. Search, tag names and tag
 * values fan out the same way (query/cluster/search-fanout.ts).
 */
function clusterTraceFinder (view: ClusterView, cluster: ClusterMembership, store: TraceStore, readiness: Readiness, config: NodeConfig, clock: Clock): ClusterTraceFinder {
  return new ClusterTraceFinder({
    view,
    ask: (nodeId, request, signal) => cluster.ask(nodeId, request, signal),
    local: createLocalTraceLookup({ finder: store, readiness }),
    clock,
    hedgeAfterMs: config.query.hedge_after,
    timeoutMs: config.query.trace_by_id_timeout,
  })
}

/** The ring's status and downscale routes (when clustered) in front of the query API. */
function withRingRoutes (query: Hono, ring: Hono | undefined): Hono {
  if (ring === undefined) return query
  const app = new Hono()
  app.notFound((c) => c.text('404 page not found\n', 404))
  app.route('/', ring)
  app.route('/', query)
  return app
}
