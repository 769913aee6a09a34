import { fork } from 'node:child_process'
import { subscribe } from 'node:diagnostics_channel'
import { mkdtemp, rm } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { defaultsOf } from '../../common/config-schema.ts'
import { seededRandom } from '../../common/random.ts'
import { viewVersion } from '../../node/ring-http.ts'
import { systemClock } from '../../node/system-clock.ts'
import { ringSchema } from '../../ring/config.ts'
import type { RingConfig } from '../../ring/config.ts'
import { claimPartition } from '../../ring/edits.ts'
import { RingEvents } from '../../ring/events.ts'
import { RingReplica } from '../../ring/gossip.ts'
import { PartitionLifecycler } from '../../ring/lifecycler.ts'
import { createRingMetrics } from '../../ring/metrics.ts'
import type { RingMetrics } from '../../ring/metrics.ts'
import { listMembers, listPartitions } from '../../ring/read.ts'
import { splitChannels } from '../../ring/transport/channels.ts'
import { createLibp2pTransport } from '../../ring/transport/libp2p.ts'
import type { Libp2pTransport } from '../../ring/transport/libp2p.ts'
import type { NetworkTuning } from '../../ring/transport/libp2p-node.ts'

/**
 * One ring node for bench/ring-convergence.ts, wired like node/cluster.ts: a libp2p transport
 * (cluster key, its own peer key in its own temp dir, 127.0.0.1), the ring channel of
 * `splitChannels`, a `RingReplica` and a `PartitionLifecycler` with default ring settings
 * (heartbeat 1 s, anti-entropy 30 s) except `min_partition_owners_duration` 2 s. Node i owns
 * partition i. Used in the bench's own process, or one per child process (ring-node-child.ts).
 */
export interface RingNodeOptions {
  index: number
  /** Raw 32-byte cluster key. */
  clusterKey: Uint8Array
  /** Addresses to join through (node 0's); empty for node 0. */
  seeds: string[]
  network?: Partial<NetworkTuning>
}

/** What the bench polls; counters are since the node started (process-wide ones since the process started). */
export interface RingNodeStatus {
  peers: string[]
  topicPeers: string[]
  members: number
  activePartitions: number
  digest: string
  /** Ring payload (livestore_ring_gossip_bytes_total), deltas out. */
  bytesOut: number
  bytesIn: number
  deltasOut: number
  /** Peer-down events of this node. */
  disconnects: number
  /** Process-wide: TCP bytes written by every socket of the process, CPU µs, worst event-loop delay (ms) since `markPhase`. */
  processWireBytes: number
  processCpuMicros: number
  processMaxLoopDelayMs: number
}

export interface RingNode {
  readonly index: number
  readonly id: string
  readonly peerId: string
  readonly address: string
  status (): Promise<RingNodeStatus>
  /** Creates partition `id` with `replica.edit`; resolves with the epoch ms (high resolution) just before the edit. */
  createPartition (id: number): Promise<number>
  /** Calls `cb(partition, epochMs)` whenever a ring change holding a partition ≥ `minId` is committed here; resolves once subscribed. */
  onSeen (minId: number, cb: (partition: number, at: number) => void): Promise<void>
  /** Starts a new phase of the process-wide event-loop delay maximum. */
  markPhase (): Promise<void>
  stop (): Promise<void>
  /** Resolves if the node's process dies (child processes only; never for in-process nodes). */
  readonly died: Promise<string>
}

/** High-resolution wall time, comparable across the processes of one machine. */
export function epochMs (): number {
  return performance.timeOrigin + performance.now()
}

// Process-wide probes: every TCP socket (all of them libp2p's), and the event loop's delay.
const sockets: Socket[] = []
const onSocket = (msg: unknown): void => { sockets.push((msg as { socket: Socket }).socket) }
subscribe('net.client.socket', onSocket)
subscribe('net.server.socket', onSocket)
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()

function processProbes (): Pick<RingNodeStatus, 'processWireBytes' | 'processCpuMicros' | 'processMaxLoopDelayMs'> {
  const cpu = process.cpuUsage()
  return { processWireBytes: sockets.reduce((sum, s) => sum + s.bytesWritten, 0), processCpuMicros: cpu.user + cpu.system, processMaxLoopDelayMs: Math.round(loopDelay.max / 1e6) }
}

async function ringSums (m: RingMetrics): Promise<{ bytesOut: number, bytesIn: number, deltasOut: number }> {
  const bytes = (await m.bytes.get()).values
  const msgs = (await m.messages.get()).values
  const sum = (vs: typeof bytes, direction: string, kind?: string): number =>
    vs.filter((v) => v.labels.direction === direction && (kind === undefined || v.labels.kind === kind)).reduce((a, v) => a + v.value, 0)
  return { bytesOut: sum(bytes, 'out'), bytesIn: sum(bytes, 'in'), deltasOut: sum(msgs, 'out', 'delta') }
}

const zones = ['a', 'b', 'c']

/** Starts a node (transport, replica with its join pull, lifecycler); its temp dir goes on stop. */
export async function startRingNode (o: RingNodeOptions): Promise<RingNode> {
  const logger = pino({ level: process.env.LIVESTORE_BENCH_LOG ?? 'silent' })
  const clock = systemClock()
  const dir = await mkdtemp(join(tmpdir(), 'livestore-bench-ring-'))
  const id = `n${String(o.index).padStart(2, '0')}`
  const random = seededRandom(o.index + 1)
  let raw: Libp2pTransport | undefined
  let replica: RingReplica | undefined
  let lifecycler: PartitionLifecycler | undefined
  const stop = async (): Promise<void> => {
    await lifecycler?.stop().catch(() => undefined)
    await replica?.stop().catch(() => undefined)
    await raw?.stop().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    raw = await createLibp2pTransport({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      keyDir: dir,
      clusterKey: o.clusterKey,
      topic: 'livestore/ring/v1',
      protocol: '/livestore/ring/1.0.0',
      clock,
      logger,
      random,
      ...(o.network === undefined ? {} : { network: o.network }),
    })
    const { ring: transport } = splitChannels(raw)
    const config: RingConfig = {
      ...defaultsOf(ringSchema),
      instance_id: id,
      instance_zone: zones[o.index % zones.length] as string,
      partitions: [String(o.index)],
      join_members: o.seeds,
      min_partition_owners_duration: 2000,
    }
    const events = new RingEvents({ onError: (err) => logger.error({ err }, 'ring event handler failed') })
    const metrics = createRingMetrics(new Registry())
    const r = new RingReplica({ nodeId: id, transport, clock, random, config, events, logger, metrics })
    replica = r
    lifecycler = new PartitionLifecycler({ replica: r, config, clock, logger, metrics })
    let disconnects = 0
    const t = raw
    t.onPeer((e) => { if (e.type === 'down') disconnects++ })
    const signal = new AbortController().signal
    await transport.start(signal)
    await r.start(signal)
    await lifecycler.start(signal)
    const address = t.addresses()[0]
    if (address === undefined) throw new Error(`${id} has no address`)
    return {
      index: o.index,
      id,
      peerId: t.localId,
      address,
      async status () {
        const ring = r.ring
        return {
          peers: t.peers(),
          topicPeers: t.topicPeers(),
          members: listMembers(ring).length,
          activePartitions: listPartitions(ring).filter((p) => p.state === 'active').length,
          digest: viewVersion(ring).digest,
          ...await ringSums(metrics),
          disconnects,
          ...processProbes(),
        }
      },
      async createPartition (partition) {
        const at = epochMs()
        await r.edit((tx) => tx.apply((s, stamp) => claimPartition(s, stamp, { ownerId: id, partition, zone: config.instance_zone })))
        return at
      },
      async onSeen (minId, cb) {
        events.on('ring:changed', ({ delta }) => {
          const at = epochMs()
          for (const p of delta.partitions.keys()) if (p >= minId) cb(p, at)
        })
      },
      markPhase: async () => { loopDelay.reset() },
      stop,
      died: new Promise<string>(() => undefined),
    }
  } catch (err) {
    await stop()
    throw err
  }
}

type Reply = { op: 'started', id: string, peerId: string, address: string } | { op: 'status', status: RingNodeStatus } | { op: 'created', at: number } | { op: 'done' } | { op: 'error', message: string }

/**
 * The same node in its own child process (ring-node-child.ts, over IPC): its own event loop,
 * libp2p and xsalsa20 memory, as in a real deployment. Times are epoch ms taken in the child.
 */
export async function forkRingNode (o: RingNodeOptions, startTimeoutMs = 60_000): Promise<RingNode> {
  const root = new URL('../../', import.meta.url).pathname
  const child = fork(join(root, 'bench/helpers/ring-node-child.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx', '--import', './common/promise-with-resolvers.ts'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map<number, { resolve: (r: Reply) => void, reject: (e: Error) => void }>()
  const seen: ((partition: number, at: number) => void)[] = []
  let nextReq = 0
  let exited: string | undefined
  const died = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (${signal ?? code})`
      for (const p of pending.values()) p.reject(new Error(`ring node ${o.index} ${exited}`))
      pending.clear()
      resolve(exited)
    })
  })
  child.on('message', (m: { req?: number, op: string, partition?: number, at?: number, message?: string }) => {
    if (m.op === 'seen') { for (const cb of seen) cb(m.partition as number, m.at as number); return }
    const p = m.req === undefined ? undefined : pending.get(m.req)
    if (p === undefined) return
    pending.delete(m.req as number)
    if (m.op === 'error') p.reject(new Error(m.message))
    else p.resolve(m as Reply)
  })
  const call = (msg: Record<string, unknown>, timeoutMs = 30_000): Promise<Reply> => new Promise((resolve, reject) => {
    if (exited !== undefined) { reject(new Error(`ring node ${o.index} ${exited}`)); return }
    const req = nextReq++
    const timer = setTimeout(() => { pending.delete(req); reject(new Error(`ring node ${o.index}: ${String(msg.op)} timed out`)) }, timeoutMs)
    pending.set(req, { resolve: (r) => { clearTimeout(timer); resolve(r) }, reject: (e) => { clearTimeout(timer); reject(e) } })
    child.send({ ...msg, req })
  })
  let started: Reply
  try {
    started = await call({ op: 'start', index: o.index, clusterKey: Buffer.from(o.clusterKey).toString('hex'), seeds: o.seeds, network: o.network }, startTimeoutMs)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  if (started.op !== 'started') throw new Error(`ring node ${o.index}: unexpected answer ${started.op}`)
  return {
    index: o.index,
    id: started.id,
    peerId: started.peerId,
    address: started.address,
    async status () {
      const r = await call({ op: 'status' })
      if (r.op !== 'status') throw new Error(`unexpected answer ${r.op}`)
      return r.status
    },
    async createPartition (partition) {
      const r = await call({ op: 'create', partition })
      if (r.op !== 'created') throw new Error(`unexpected answer ${r.op}`)
      return r.at
    },
    async onSeen (minId, cb) {
      seen.push(cb)
      await call({ op: 'watch', minId })
    },
    async markPhase () { await call({ op: 'mark' }) },
    async stop () {
      if (exited !== undefined) return
      await call({ op: 'stop' }, 35_000).catch(() => undefined)
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await died
      clearTimeout(timer)
    },
    died,
  }
}
