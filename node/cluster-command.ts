/**
 * `livestore cluster`: a local multi-zone cluster on loopback for experiments. One command starts
 * the Kafka-compatible broker (`livestore broker`) and `zones × nodes-per-zone` nodes
 * (`livestore start` with `memberlist.enabled`), each its own child process, prints each node's
 * ports once its `/ready` answers 200 (with `--json`, one JSON line per node and nothing else on
 * stdout), and runs until SIGINT/SIGTERM, then stops every node, then the broker.
 *
 * Start order: the broker; the first node until it listens for gossip; the other nodes that own
 * partitions, joining through it; once those are ready, the standbys, each joining through the
 * first node of its zone (node/cluster-plan.ts). The peer keys of the nodes joined through are
 * created here beforehand, so their addresses `/ip4/127.0.0.1/tcp/<port>/p2p/<peer id>` are
 * known without reading any log. A node that dies while starting fails the command
 * (with the end of its log) after everything is stopped; one that dies later is reported on
 * stderr and the others keep running, so killing a zone is an experiment, not an error.
 *
 * With `--netns` (Linux, root, iproute2) every zone runs in its own network namespace on a
 * bridge (node/cluster-netns.ts), so a zone can be cut off with `ip link set <veth> down`; the
 * JSON lines then also name each node's namespace and the veth that cuts its zone. The
 * namespaces are removed when the command ends.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Clock } from '../common/clock.ts'
import { parseDuration } from '../common/config-schema.ts'
import { InvalidArgumentError } from '../common/errors.ts'
import { loadOrCreatePeerKey } from '../ring/transport/keys.ts'
import { formatClusterKey, generateClusterKey, parseClusterKey } from '../ring/transport/psk.ts'
import { answers200, describeExit, isListening, spawnLivestore, stopChildren, waitUntil } from './cluster-children.ts'
import type { Child, SpawnLivestore } from './cluster-children.ts'
import { netnsUnavailable, inZone, planNetns, runCommand, setupNetns, teardownNetns } from './cluster-netns.ts'
import type { NetnsPlan, RunCommand } from './cluster-netns.ts'
import { consecutivePorts, joinAddress, joinTarget, maxZones, nodeFlags, planCluster, portsNeeded, readyLine, readyText, startArgs, zoneNames } from './cluster-plan.ts'
import type { ClusterAddresses, ClusterPlan, PlannedNode } from './cluster-plan.ts'
import { loadConfig } from './config.ts'
import { writeSecretFile } from './keygen-command.ts'
import { systemClock } from './system-clock.ts'

/** The command's options as commander hands them over (strings). */
export interface ClusterCommandOptions {
  zones: string
  nodesPerZone: string
  partitions: string
  dataDir?: string
  json?: boolean
  basePort?: string
  readyTimeout: string
  netns?: boolean
}

export interface ClusterSettings {
  zones: number
  nodesPerZone: number
  partitions: number
  dataDir: string | undefined
  json: boolean
  basePort: number | undefined
  readyTimeoutMs: number
  /** Each zone in its own network namespace (`--netns`). */
  netns: boolean
  /** `--section.key value` flags passed to every node. */
  extra: Record<string, string>
}

export interface Output { write: (s: string) => unknown }

export interface ClusterDeps {
  spawn: SpawnLivestore
  clock: Clock
  stdout: Output
  stderr: Output
  /** Runs `ip …` for `--netns`. */
  run: RunCommand
  /** Names the namespaces and picks their subnet (the command's pid). */
  netnsId: number
  /** A stop is asked for (SIGINT/SIGTERM/SIGHUP); returns the unsubscribe. */
  onStopSignal: (handler: (signal: string) => void) => () => void
  /** How long nodes, then the broker, get to stop before they are SIGKILLed. */
  nodeGraceMs: number
  brokerGraceMs: number
}

function wholeNumber (name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v)
  if (v === undefined || !/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`--${name} must be a whole number in [${min}, ${max}], got ${JSON.stringify(v)}`)
  return n
}

/** Validates the options; every problem is an InvalidArgumentError naming the flag. */
export function parseClusterOptions (o: ClusterCommandOptions, extra: Record<string, string> = {}): ClusterSettings {
  const readyTimeoutMs = parseDuration(o.readyTimeout)
  if (readyTimeoutMs === null || readyTimeoutMs <= 0) throw new InvalidArgumentError(`--ready-timeout must be a duration such as 2m, got ${JSON.stringify(o.readyTimeout)}`)
  return {
    zones: wholeNumber('zones', o.zones, 1, maxZones),
    nodesPerZone: wholeNumber('nodes-per-zone', o.nodesPerZone, 1, 100),
    partitions: wholeNumber('partitions', o.partitions, 1, 1000),
    dataDir: o.dataDir,
    json: o.json === true,
    basePort: o.basePort === undefined ? undefined : wholeNumber('base-port', o.basePort, 1, 65535),
    readyTimeoutMs,
    netns: o.netns === true,
    extra,
  }
}

/** `count` distinct free loopback ports (held open together while they are picked). */
export async function freeLoopbackPorts (count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
    }
    return servers.map((s) => (s.address() as { port: number }).port)
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  }
}

/** The cluster key at `path`: the existing one when a data dir is reused, else a new one (0600). */
export async function ensureClusterKey (path: string): Promise<void> {
  const existing = await readFile(path).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw err })
  if (existing !== undefined) { parseClusterKey(existing); return }
  await writeSecretFile(path, formatClusterKey(generateClusterKey()))
}

/** The running cluster: its children and the lines printed about them. */
class LocalCluster {
  readonly #plan: ClusterPlan
  readonly #settings: ClusterSettings
  readonly #deps: ClusterDeps
  broker: Child | undefined
  readonly nodes: Child[] = []
  /** Every node is ready: from now on a child that exits is an experiment, not a failure. */
  up = false
  stopping = false
  /** Aborted when one child fails to start, so the other waits end too. */
  readonly #failed = new AbortController()

  readonly #netns: NetnsPlan | undefined

  constructor (plan: ClusterPlan, settings: ClusterSettings, deps: ClusterDeps, netns: NetnsPlan | undefined) {
    this.#plan = plan
    this.#settings = settings
    this.#deps = deps
    this.#netns = netns
  }

  #wait (signal: AbortSignal): { clock: Clock, signal: AbortSignal, timeoutMs: number } {
    return { clock: this.#deps.clock, signal: AbortSignal.any([signal, this.#failed.signal]), timeoutMs: this.#settings.readyTimeoutMs }
  }

  /** `waitUntil`, and on failure, the end of every other wait. */
  async #waitUntil (child: Child, what: string, probe: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
    try {
      await waitUntil(child, what, probe, this.#wait(signal))
    } catch (err) {
      if (!this.#failed.signal.aborted) this.#failed.abort(err)
      throw this.#failed.signal.reason
    }
  }

  #spawn (name: string, args: string[], log: string, wrap?: string[]): Child {
    const child = this.#deps.spawn(name, args, log, wrap)
    void child.exited.then((e) => {
      if (!this.stopping) this.#deps.stderr.write(`livestore cluster: ${name} (pid ${child.pid}) ${describeExit(e)}${this.up ? '; the others keep running' : ''} (log: ${log})\n`)
    })
    return child
  }

  async startBroker (signal: AbortSignal): Promise<void> {
    const { broker, partitions } = this.#plan
    this.broker = this.#spawn('broker', ['broker', '--host', broker.host, '--port', String(broker.port), '--data-dir', broker.dir, '--partitions', String(partitions)], broker.log)
    await this.#waitUntil(this.broker, `listening on ${broker.host}:${broker.port}`, () => isListening(broker.port, broker.host), signal)
  }

  #startNode (node: PlannedNode, join: string | undefined): Child {
    const wrap = this.#netns === undefined ? undefined : inZone(this.#netns, node.zone, [])
    const child = this.#spawn(node.name, startArgs(node, nodeFlags(this.#plan, node, join, this.#settings.extra)), node.log, wrap)
    this.nodes.push(child)
    return child
  }

  async #ready (node: PlannedNode, child: Child, signal: AbortSignal): Promise<void> {
    await this.#waitUntil(child, 'ready', () => answers200(`http://${node.host}:${node.http}/ready`), signal)
    const zone = this.#netns?.zones.get(node.zone)
    const where = zone === undefined ? undefined : { netns: zone.ns, veth: zone.hostVeth }
    this.#deps.stdout.write(this.#settings.json ? readyLine(node, child.pid, where) : readyText(node, child.pid, where))
  }

  /** The nodes, in the order of the file comment. */
  async startNodes (signal: AbortSignal): Promise<void> {
    const [first, ...rest] = this.#plan.nodes as [PlannedNode, ...PlannedNode[]]
    // The peer keys of the nodes others join through, created now: their addresses are known
    // before they start.
    const joinAt = new Map<PlannedNode, string>()
    for (const target of new Set(this.#plan.nodes.map((n) => joinTarget(this.#plan, n)))) {
      if (target === undefined) continue
      const key = await loadOrCreatePeerKey(join(target.dir, 'memberlist'))
      joinAt.set(target, joinAddress(target, peerIdFromPrivateKey(key.privateKey).toString()))
    }
    const start = (n: PlannedNode): readonly [PlannedNode, Child] => {
      const target = joinTarget(this.#plan, n)
      return [n, this.#startNode(n, target === undefined ? undefined : joinAt.get(target))]
    }
    const [, firstChild] = start(first)
    await this.#waitUntil(firstChild, `listening for gossip on ${first.host}:${first.gossip}`, () => isListening(first.gossip, first.host), signal)
    const owners = [[first, firstChild] as const, ...rest.filter((n) => !n.standby).map(start)]
    await Promise.all(owners.map(([n, c]) => this.#ready(n, c, signal)))
    const standbys = rest.filter((n) => n.standby).map(start)
    await Promise.all(standbys.map(([n, c]) => this.#ready(n, c, signal)))
    this.up = true
  }

  /** Every node, then the broker; each group SIGTERM, bounded wait, SIGKILL. */
  async stop (): Promise<void> {
    this.stopping = true
    await stopChildren(this.nodes, this.#deps.clock, this.#deps.nodeGraceMs)
    if (this.broker !== undefined) await stopChildren([this.broker], this.#deps.clock, this.#deps.brokerGraceMs)
  }

  /** A second stop signal: no more waiting. */
  killAll (): void {
    for (const c of [...this.nodes, ...(this.broker === undefined ? [] : [this.broker])]) c.kill('SIGKILL')
  }
}

/** The data directory: the given one (kept), or a fresh temporary one (removed at exit). */
async function dataDirOf (given: string | undefined): Promise<{ path: string, temporary: boolean }> {
  if (given !== undefined) {
    await mkdir(given, { recursive: true })
    return { path: resolve(given), temporary: false }
  }
  return { path: await mkdtemp(join(tmpdir(), 'livestore-cluster-')), temporary: true }
}

function netnsAddresses (netns: NetnsPlan): ClusterAddresses {
  return { broker: netns.hostAddress, zone: (z) => netns.zones.get(z)?.address ?? netns.hostAddress }
}

async function portsFor (s: ClusterSettings): Promise<number[]> {
  const count = portsNeeded(s)
  return s.basePort === undefined ? await freeLoopbackPorts(count) : consecutivePorts(s.basePort, count)
}

/**
 * Runs the cluster until a stop signal. Resolves after a stop by signal (all children gone);
 * rejects, after stopping whatever had started, when the cluster could not start.
 */
export async function runCluster (s: ClusterSettings, deps: ClusterDeps): Promise<void> {
  const controller = new AbortController()
  let cluster: LocalCluster | undefined
  const off = deps.onStopSignal((signal) => {
    if (controller.signal.aborted) { deps.stderr.write(`livestore cluster: second ${signal}: killing every child\n`); cluster?.killAll(); return }
    deps.stderr.write(`livestore cluster: ${signal}: stopping the nodes, then the broker\n`)
    controller.abort(new Error(`received ${signal}`))
  })
  let netns: NetnsPlan | undefined
  if (s.netns) {
    const why = await netnsUnavailable(deps.run, deps.netnsId)
    if (why !== undefined) throw new InvalidArgumentError(`--netns: ${why}`)
    netns = planNetns(zoneNames(s.zones), deps.netnsId)
  }
  const dir = await dataDirOf(s.dataDir)
  let keepDir = !dir.temporary
  try {
    const plan = planCluster({ ...s, dataDir: dir.path }, await portsFor(s), netns === undefined ? undefined : netnsAddresses(netns))
    await ensureClusterKey(plan.keyFile)
    // The nodes' config, validated once here (exit status 2 listing every problem, e.g. a typo
    // in a passed-through --section.key flag) rather than by six dying children.
    loadConfig({ env: process.env, flags: nodeFlags(plan, plan.nodes[0] as PlannedNode, undefined, s.extra) })
    deps.stderr.write(`livestore cluster: ${plan.nodes.length} nodes in zones ${plan.zones.join(', ')}, ${plan.partitions} partitions; data in ${dir.path}${dir.temporary ? ' (removed at exit)' : ''}; logs in ${join(dir.path, '<node>.log')} and ${plan.broker.log}\n`)
    cluster = new LocalCluster(plan, s, deps, netns)
    try {
      if (netns !== undefined) {
        await setupNetns(netns, deps.run)
        deps.stderr.write(`livestore cluster: zones in network namespaces ${[...netns.zones.values()].map((z) => `${z.ns} (${z.address})`).join(', ')}; broker on bridge ${netns.bridge} (${netns.hostAddress})\n`)
      }
      await cluster.startBroker(controller.signal)
      await cluster.startNodes(controller.signal)
      const done = `livestore cluster: ready; Kafka broker on ${plan.broker.host}:${plan.broker.port} (pid ${cluster.broker?.pid}); SIGINT/SIGTERM (Ctrl-C) stops everything\n`
      ;(s.json ? deps.stderr : deps.stdout).write(done)
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }))
    } catch (err) {
      if (controller.signal.aborted) return // a stop signal during the start is a normal stop
      if (dir.temporary) { keepDir = true; deps.stderr.write(`livestore cluster: the cluster did not start; its logs are kept in ${dir.path}\n`) }
      throw err
    } finally {
      await cluster.stop()
      if (netns !== undefined) await teardownNetns(netns, deps.run)
    }
  } finally {
    off()
    if (!keepDir) await rm(dir.path, { recursive: true, force: true })
  }
}

/** `livestore cluster …` with the real processes, clock, streams and signals. */
export async function runClusterCommand (o: ClusterCommandOptions, extra: Record<string, string> = {}): Promise<void> {
  await runCluster(parseClusterOptions(o, extra), {
    spawn: spawnLivestore,
    run: runCommand,
    netnsId: process.pid,
    clock: systemClock(),
    stdout: process.stdout,
    stderr: process.stderr,
    onStopSignal: (handler) => {
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
      for (const sig of signals) process.on(sig, handler)
      return () => { for (const sig of signals) process.off(sig, handler) }
    },
    // Above the nodes' own server.graceful_shutdown_timeout (30s), so they exit by themselves first.
    nodeGraceMs: 35_000,
    brokerGraceMs: 10_000,
  })
}
