import { join } from 'node:path'
import { pino } from 'pino'
import { loadConfig } from '../../node/config.ts'
import type { NodeConfig } from '../../node/config.ts'
import { createRegistry } from '../../node/metrics.ts'
import { createNode } from '../../node/node.ts'
import type { LiveStoreNode } from '../../node/node.ts'
import { systemClock } from '../../node/system-clock.ts'
import { tempDir } from './broker.ts'

export interface TestNode {
  node: LiveStoreNode
  config: NodeConfig
  registry: ReturnType<typeof createRegistry>
  /** Base URL of the query API, e.g. http://127.0.0.1:41234 */
  api: string
  /** Base URL of the OTLP/HTTP receiver. */
  otlp: string
  stop: () => Promise<void>
}

/**
 * Starts a whole node in-process (embedded broker, Kafka, store, APIs) on ephemeral loopback
 * ports with its own data directory; `flags` override config keys as on the command line.
 */
export async function startNode (flags: Record<string, string> = {}, dataDir?: string): Promise<TestNode> {
  // A given data dir belongs to the caller (e.g. to restart on it); a temporary one is removed.
  const dir = dataDir === undefined ? tempDir('livestore-node-') : { path: dataDir, remove: () => undefined }
  const config = loadConfig({
    flags: {
      'broker.port': '0',
      'broker.data_dir': join(dir.path, 'broker'),
      'live_store.wal.path': join(dir.path, 'wal'),
      'memberlist.data_dir': join(dir.path, 'memberlist'),
      'server.http_listen_address': '127.0.0.1',
      'server.http_listen_port': '0',
      'distributor.otlp_http_listen_address': '127.0.0.1',
      'distributor.otlp_http_listen_port': '0',
      'kafka.topic_partitions': '4',
      'live_store.commit_interval': '0',
      ...flags,
    },
  })
  const registry = createRegistry({ defaultMetrics: false })
  const node = createNode({ config, clock: systemClock(), logger: pino({ level: process.env.LIVESTORE_TEST_LOG ?? 'silent' }), registry })
  await node.start(new AbortController().signal)
  return {
    node,
    config,
    registry,
    api: `http://127.0.0.1:${node.api.address().port}`,
    otlp: `http://127.0.0.1:${node.otlpHttp.address().port}`,
    stop: async () => { await node.stop(); dir.remove() },
  }
}

/** Polls until `fn` resolves to a non-null value (a trace has been consumed, say). */
export async function eventually<T> (fn: () => Promise<T | null | undefined>, timeoutMs = 15_000, what = 'value'): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== null && v !== undefined) return v
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
