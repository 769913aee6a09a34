import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import type { Hono } from 'hono'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { seededRandom } from '../common/random.ts'
import { MemoryNetwork } from '../ring/transport/memory.ts'
import type { MemoryTransport } from '../ring/transport/memory.ts'
import { ManualClock } from '../test/fakes/clock.ts'
import { ClusterMembership } from './cluster.ts'
import type { PartitionConsumer } from './cluster.ts'
import { loadConfig } from './config.ts'
import { NodeReadiness } from './readiness.ts'
import { createRingHttpApp, formatAge } from './ring-http.ts'
import type { MemberlistStatus, RingStatus } from './ring-http.ts'

const T0 = 1_700_000_000_000

interface TestNode {
  id: string
  cluster: ClusterMembership
  transport: MemoryTransport
  app: Hono
  registry: Registry
  readiness: NodeReadiness
  assigned: Set<number>
  request (path: string, init?: RequestInit): Promise<Response>
  json<T> (path: string): Promise<T>
}

interface NodeSpec {
  id: string
  zone: string
  partitions: string
  /** Peer id on the memory network (default: the node id). */
  peerId?: string
  join?: string[]
  flags?: Record<string, string>
}

/** Lets every pending microtask and immediate settle (memory transport with 0 latency). */
async function settle (rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Real `ClusterMembership`s on one in-memory network, driven by one manual clock. */
class Harness {
  readonly clock = new ManualClock(T0)
  readonly network = new MemoryNetwork({ clock: this.clock, latencyMs: 0 })
  readonly nodes: TestNode[] = []

  node (spec: NodeSpec): TestNode {
    const config = loadConfig({
      flags: {
        'memberlist.enabled': 'true',
        'live_store.instance_id': spec.id,
        'live_store.instance_zone': spec.zone,
        'live_store.partitions': spec.partitions,
        'live_store.partition_ring.min_partition_owners_duration': '100ms',
        'live_store.partition_ring.reconcile_period': '100ms',
        'memberlist.join_members': (spec.join ?? []).map((id) => `/memory/${id}`).join(','),
        ...spec.flags,
      },
    })
    const assigned = new Set<number>()
    const consumer: PartitionConsumer = {
      assign: async (p) => { assigned.add(p) },
      revoke: async (p) => { assigned.delete(p) },
    }
    const registry = new Registry()
    const transport = this.network.createTransport(spec.peerId ?? spec.id)
    const cluster = new ClusterMembership({
      config,
      clock: this.clock,
      logger: pino({ level: 'silent' }),
      registry,
      consumer,
      random: seededRandom(this.nodes.length + 1),
      transport,
    })
    const readiness = new NodeReadiness()
    readiness.set('ready')
    const app = createRingHttpApp({ cluster, clock: this.clock, readiness, registry })
    const request = async (path: string, init?: RequestInit): Promise<Response> => await app.request(`http://localhost${path}`, init)
    const json = async <T>(path: string): Promise<T> => {
      const res = await request(path)
      assert.equal(res.status, 200, await res.clone().text())
      return await res.json() as T
    }
    const node: TestNode = { id: spec.id, cluster, transport, app, registry, readiness, assigned, request, json }
    this.nodes.push(node)
    return node
  }

  async start (node: TestNode): Promise<void> {
    await this.pump(node.cluster.start(new AbortController().signal))
  }

  /** Awaits `p`, moving time on in 10 ms steps while it is pending. */
  async pump<T> (p: Promise<T>): Promise<T> {
    let done = false
    const settled = p.finally(() => { done = true })
    await settle()
    while (!done) {
      this.clock.advance(10)
      await settle()
    }
    return await settled
  }

  async advance (ms: number, stepMs = 50): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - done))
      await settle()
    }
  }

  async close (): Promise<void> {
    for (const n of this.nodes.splice(0).reverse()) await this.pump(n.cluster.stop())
  }
}

/** Two nodes owning partition 0, one per zone; `b` joins through `a`. The partition is active. */
async function twoZones (h: Harness): Promise<{ a: TestNode, b: TestNode }> {
  const a = h.node({ id: 'a', zone: 'zone-a', partitions: '0' })
  const b = h.node({ id: 'b', zone: 'zone-b', partitions: '0', join: ['a'] })
  await h.start(a)
  await h.start(b)
  await h.advance(500)
  return { a, b }
}

let h: Harness
afterEach(async () => { await h.close() })

describe('ring HTTP: availability', () => {
  it('answers 503 on every route before the cluster starts and after it stopped', async () => {
    h = new Harness()
    const a = h.node({ id: 'a', zone: 'zone-a', partitions: '0' })
    const routes: [string, string][] = [
      ['GET', '/api/ring'], ['GET', '/ring'], ['GET', '/memberlist'],
      ['GET', '/live-store/prepare-partition-downscale'], ['POST', '/live-store/prepare-partition-downscale'], ['DELETE', '/live-store/prepare-partition-downscale'],
      ['GET', '/live-store/prepare-downscale'], ['POST', '/live-store/prepare-downscale'], ['DELETE', '/live-store/prepare-downscale'],
    ]
    for (const [method, path] of routes) {
      const res = await a.request(path, { method })
      assert.equal(res.status, 503, `${method} ${path}`)
      assert.equal(res.headers.get('retry-after'), '1')
    }
    await h.start(a)
    assert.equal((await a.request('/api/ring')).status, 200)
    await h.pump(a.cluster.stop())
    for (const [method, path] of routes) assert.equal((await a.request(path, { method })).status, 503, `${method} ${path} after stop`)
  })

  it('answers 503 on the downscale routes while the node is starting or stopping, not the status pages', async () => {
    h = new Harness()
    const a = h.node({ id: 'a', zone: 'zone-a', partitions: '0' })
    await h.start(a)
    a.readiness.set('stopping', 'Application is stopping')
    const res = await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })
    assert.equal(res.status, 503)
    assert.equal(await res.text(), 'Application is stopping')
    assert.equal((await a.request('/live-store/prepare-downscale')).status, 503)
    assert.equal((await a.request('/api/ring')).status, 200)
    a.readiness.set('catching-up', 'live-store is catching up')
    assert.equal((await a.request('/live-store/prepare-downscale')).status, 200)
  })
})

describe('ring HTTP: status pages', () => {
  it('serves the ring of two nodes in two zones as JSON', async () => {
    h = new Harness()
    const { a, b } = await twoZones(h)
    const s = await a.json<RingStatus>('/api/ring')
    assert.equal(s.now, h.clock.now())
    assert.deepEqual({ id: s.node.id, zone: s.node.zone, peerId: s.node.peerId, synced: s.node.synced }, { id: 'a', zone: 'zone-a', peerId: 'a', synced: true })
    assert.match(s.node.version.hlc ?? '', /^\d+\.\d+$/)
    assert.match(s.node.version.digest, /^[0-9a-f]{16}$/)
    assert.deepEqual(s.zones, ['zone-a', 'zone-b'])
    assert.equal(s.partitions.length, 1)
    const [p] = s.partitions
    assert.ok(p !== undefined)
    assert.equal(p.id, 0)
    assert.equal(p.state, 'active')
    assert.equal(p.locked, false)
    assert.match(p.stateTs, /^\d+\.\d+$/)
    assert.equal(Date.parse(p.stateTime), Number(p.stateTs.split('.')[0]))
    assert.deepEqual(p.owners.map((o) => [o.nodeId, o.zone, o.healthy, o.consumer]), [['a', 'zone-a', true, true], ['b', 'zone-b', true, true]])
    for (const o of p.owners) {
      assert.ok(o.heartbeatAgeMs !== null && o.heartbeatAgeMs >= 0 && o.heartbeatAgeMs <= 1000, `heartbeat age ${o.heartbeatAgeMs}`)
      assert.match(o.since, /^\d+\.\d+$/)
    }
    assert.deepEqual(s.members.map((m) => [m.nodeId, m.zone, m.peerId, m.connected, m.healthy, m.self, m.partitions]), [
      ['a', 'zone-a', 'a', true, true, true, [0]],
      ['b', 'zone-b', 'b', true, true, false, [0]],
    ])
    assert.ok(s.members.every((m) => m.addresses.length > 0 && m.heartbeatAgeMs <= 1000))
    assert.deepEqual(s.tombstones, { partitions: 0, owners: 0, members: 0 })
    assert.ok(s.gossip.messagesIn.delta > 0 && s.gossip.messagesOut.delta > 0)

    // The digest leaves heartbeats out: two converged nodes show the same one.
    const sb = await b.json<RingStatus>('/api/ring')
    assert.equal(sb.node.version.digest, s.node.version.digest)
    assert.deepEqual(sb.partitions.map((x) => x.state), ['active'])
  })

  it('renders the ring page as a partitions × zones grid, and JSON on request', async () => {
    h = new Harness()
    const { a } = await twoZones(h)
    const res = await a.request('/ring')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const html = await res.text()
    assert.match(html, /^<!DOCTYPE html>/)
    assert.match(html, /<th>Partition<\/th><th>State<\/th><th>Zone <code>zone-a<\/code><\/th><th>Zone <code>zone-b<\/code><\/th>/)
    assert.match(html, /<tr><td>0<\/td><td class="active">active<br><small>for [^<]+<\/small><\/td><td class="ok"><div class="owner ok consumer"><code>a<\/code>/)
    assert.match(html, /<code>b<\/code> <small>healthy, consumer, heartbeat \d+ms ago<\/small>/)
    assert.match(html, /<a href="">Refresh<\/a>/)
    assert.match(html, /<code>b<\/code><\/td><td>zone-b<\/td>/, 'the members table')
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external assets')

    const asJson = await a.request('/ring', { headers: { accept: 'application/json' } })
    assert.match(asJson.headers.get('content-type') ?? '', /^application\/json/)
    assert.equal(((await asJson.json()) as RingStatus).partitions.length, 1)
  })

  it('marks a zone with no owner and an unhealthy owner in red', async () => {
    h = new Harness()
    const { a, b } = await twoZones(h)
    const c = h.node({ id: 'c', zone: 'zone-c', partitions: '1', join: ['a'] })
    await h.start(c)
    await h.advance(300)
    // b crashes: its link goes first, so a never hears it leave and its heartbeat goes stale.
    await b.transport.stop()
    await h.pump(b.cluster.stop())
    await h.advance(4000, 100)
    const s = await a.json<RingStatus>('/api/ring')
    assert.deepEqual(s.zones, ['zone-a', 'zone-b', 'zone-c'])
    assert.deepEqual(s.partitions[0]?.owners.map((o) => [o.nodeId, o.healthy, o.consumer]), [['a', true, true], ['b', false, false]])
    const html = await (await a.request('/ring')).text()
    assert.match(html, /<tr><td>0<\/td><td class="active">.*<td class="ok"><div class="owner ok consumer"><code>a<\/code>.*<td class="bad"><div class="owner bad"><code>b<\/code> <small>unhealthy, heartbeat 4\.\ds ago<\/small><\/div><\/td><td class="empty">no owner<\/td><\/tr>/)
    assert.match(html, /<tr><td>1<\/td><td class="active">.*<td class="empty">no owner<\/td><td class="empty">no owner<\/td><td class="ok"><div class="owner ok consumer"><code>c<\/code>/)
    assert.match(html, /<code>b<\/code><\/td><td>zone-b<\/td>.*<td class="bad">unhealthy<\/td><td class="bad">no<\/td>/)
  })

  it('lists the peers at /memberlist as HTML, and as JSON on request', async () => {
    h = new Harness()
    const { a } = await twoZones(h)
    const res = await a.request('/memberlist', { headers: { accept: 'application/json' } })
    assert.equal(res.status, 200)
    const s = await res.json() as MemberlistStatus
    assert.equal(s.node.id, 'a')
    assert.deepEqual(s.node.addresses, ['/memory/a'])
    assert.deepEqual(s.peers.map((p) => ({ nodeId: p.nodeId, zone: p.zone, connected: p.connected, addresses: p.addresses })), [
      { nodeId: 'b', zone: 'zone-b', connected: true, addresses: ['/memory/b', '/p2p/b'] },
    ])
    assert.ok((s.peers[0]?.heartbeatAgeMs ?? -1) >= 0)
    assert.deepEqual(s.unknownConnections, [])

    const html = await (await a.request('/memberlist')).text()
    assert.match(html, /<h1>Members<\/h1>/)
    assert.match(html, /<tr><td><code>b<\/code><\/td><td>zone-b<\/td><td><code>b<\/code><\/td><td><code>\/memory\/b<\/code><br><code>\/p2p\/b<\/code><\/td><td>\d+ms<\/td><td class="ok">healthy<\/td><td class="ok">yes<\/td><td>0<\/td><\/tr>/)
    assert.doesNotMatch(html, /<code>a<\/code><\/td><td>zone-a/, 'this node is not its own peer')
  })

  it('escapes a hostile node id and zone in the HTML pages', async () => {
    h = new Harness()
    const evil = '<script>alert("x&y")</script>'
    const a = h.node({ id: evil, zone: '<b>zone</b>', partitions: '0', peerId: 'evil' })
    await h.start(a)
    for (const path of ['/ring', '/memberlist']) {
      const html = await (await a.request(path)).text()
      assert.doesNotMatch(html, /<script>|<b>zone/, path)
      assert.match(html, /&#60;script&#62;alert\(&#34;x&#38;y&#34;\)&#60;\/script&#62;/, path)
      assert.match(html, /&#60;b&#62;zone&#60;\/b&#62;/, path)
    }
    const s = await a.json<RingStatus>('/api/ring')
    assert.equal(s.node.id, evil)
  })
})

describe('ring HTTP: prepare-partition-downscale', () => {
  it('POST makes the partition inactive, GET reports it, DELETE makes it active again', async () => {
    h = new Harness()
    const { a, b } = await twoZones(h)
    assert.deepEqual(await a.json('/live-store/prepare-partition-downscale'), { timestamp: 0, state: 'PartitionActive' })

    const post = await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })
    assert.equal(post.status, 200)
    assert.match(post.headers.get('content-type') ?? '', /^application\/json/)
    const inactive = { timestamp: Math.floor(h.clock.now() / 1000), state: 'PartitionInactive' }
    assert.deepEqual(await post.json(), inactive)
    await h.advance(100)
    assert.deepEqual(await a.json('/live-store/prepare-partition-downscale'), inactive)
    assert.deepEqual((await b.json<RingStatus>('/api/ring')).partitions.map((p) => p.state), ['inactive'], 'gossiped to b')

    // A second POST is a no-op: the timestamp stays the one of the switch.
    await h.advance(2000)
    assert.deepEqual(await (await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })).json(), inactive)

    const del = await a.request('/live-store/prepare-partition-downscale', { method: 'DELETE' })
    assert.equal(del.status, 200)
    assert.deepEqual(await del.json(), { timestamp: 0, state: 'PartitionActive' })
    await h.advance(100)
    assert.deepEqual((await b.json<RingStatus>('/api/ring')).partitions.map((p) => p.state), ['active'])
  })

  it('answers 409 for a pending partition and leaves it pending', async () => {
    h = new Harness()
    const a = h.node({ id: 'a', zone: 'zone-a', partitions: '0', flags: { 'live_store.partition_ring.min_partition_owners_duration': '1h' } })
    await h.start(a)
    await h.advance(300)
    const res = await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })
    assert.equal(res.status, 409)
    assert.match(await res.text(), /partition 0 is pending/)
    assert.deepEqual(await a.json('/live-store/prepare-partition-downscale'), { timestamp: 0, state: 'PartitionPending' })
    assert.deepEqual(await (await a.request('/live-store/prepare-partition-downscale', { method: 'DELETE' })).json(), { timestamp: 0, state: 'PartitionPending' })
  })

  it('answers a list for a node that owns several partitions', async () => {
    h = new Harness()
    const a = h.node({ id: 'a', zone: 'zone-a', partitions: '1,2' })
    await h.start(a)
    await h.advance(300)
    assert.deepEqual(await a.json('/live-store/prepare-partition-downscale'), { partitions: [
      { partition: 1, timestamp: 0, state: 'PartitionActive' },
      { partition: 2, timestamp: 0, state: 'PartitionActive' },
    ] })
    const ts = Math.floor(h.clock.now() / 1000)
    assert.deepEqual(await (await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })).json(), { partitions: [
      { partition: 1, timestamp: ts, state: 'PartitionInactive' },
      { partition: 2, timestamp: ts, state: 'PartitionInactive' },
    ] })
  })

  it('answers 405 to other methods', async () => {
    h = new Harness()
    const a = h.node({ id: 'a', zone: 'zone-a', partitions: '0' })
    await h.start(a)
    const res = await a.request('/live-store/prepare-partition-downscale', { method: 'PUT' })
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'GET, POST, DELETE')
  })
})

describe('ring HTTP: prepare-downscale', () => {
  it('refuses POST with 409 until the partition is inactive, then sets the flag; DELETE unsets it', async () => {
    h = new Harness()
    const { a } = await twoZones(h)
    const get = async (): Promise<string> => {
      const res = await a.request('/live-store/prepare-downscale')
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
      return await res.text()
    }
    assert.equal(await get(), 'unset\n')
    const refused = await a.request('/live-store/prepare-downscale', { method: 'POST' })
    assert.equal(refused.status, 409)
    assert.match(await refused.text(), /partition 0 is active, not inactive/)
    assert.equal(await get(), 'unset\n')

    assert.equal((await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })).status, 200)
    const ok = await a.request('/live-store/prepare-downscale', { method: 'POST' })
    assert.equal(ok.status, 204)
    assert.equal(await ok.text(), '')
    assert.equal(await get(), 'set\n')
    assert.equal(a.cluster.lifecycler.downscalePrepared, true)

    assert.equal((await a.request('/live-store/prepare-downscale', { method: 'DELETE' })).status, 204)
    assert.equal(await get(), 'unset\n')
    assert.equal(a.cluster.lifecycler.downscalePrepared, false)
  })

  it('makes the next stop remove the ownership', async () => {
    h = new Harness()
    const { a, b } = await twoZones(h)
    await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })
    assert.equal((await a.request('/live-store/prepare-downscale', { method: 'POST' })).status, 204)
    await h.pump(a.cluster.stop())
    await h.advance(100)
    const s = await b.json<RingStatus>('/api/ring')
    assert.deepEqual(s.partitions.map((p) => [p.state, p.owners.map((o) => o.nodeId)]), [['inactive', ['b']]])
    assert.deepEqual(s.members.map((m) => m.nodeId), ['b'])
    // a's `left` entry buries its owner tombstone (ring/model.ts dropDepartedOwners).
    assert.deepEqual(s.tombstones, { partitions: 0, owners: 0, members: 1 })
  })
})

describe('ring HTTP: metrics', () => {
  it('keeps tempo_partition_ring_partitions by state and measures the convergence lag', async () => {
    h = new Harness()
    const { a, b } = await twoZones(h)
    const gauge = async (registry: Registry): Promise<Record<string, number>> => {
      const m = await registry.getSingleMetric('tempo_partition_ring_partitions')?.get()
      return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels.state), v.value]))
    }
    assert.deepEqual(await gauge(a.registry), { pending: 0, active: 1, inactive: 0 })
    await a.request('/live-store/prepare-partition-downscale', { method: 'POST' })
    await h.advance(100)
    assert.deepEqual(await gauge(a.registry), { pending: 0, active: 0, inactive: 1 })
    assert.deepEqual(await gauge(b.registry), { pending: 0, active: 0, inactive: 1 })

    const text = await b.registry.metrics()
    const count = /^livestore_ring_convergence_lag_seconds_count (\d+)$/m.exec(text)
    assert.ok(count !== null && Number(count[1]) > 0, 'lag observed on remote changes')
    // The memory network has no latency and the clock only moves between deliveries.
    assert.match(text, /^livestore_ring_convergence_lag_seconds_bucket\{le="0.001"\} [1-9]/m)
    assert.match(text, /^livestore_ring_gossip_messages_total\{direction="in",kind="delta"\} [1-9]/m)
  })
})

describe('formatAge', () => {
  it('writes ages the way a person reads them', () => {
    assert.deepEqual([0, 850, 12_345, 245_000, 7_380_000].map(formatAge), ['0ms', '850ms', '12.3s', '4m05s', '2h03m'])
  })
})
