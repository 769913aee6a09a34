/**
 * The ring's HTTP surface (issue 5, tempo-behaviour.md §4.7 and §4.9): Tempo's scale-down
 * endpoints and the ring status pages, as one Hono app over the node's `ClusterMembership`.
 *
 * | route | answers |
 * |---|---|
 * | `GET/POST/DELETE /live-store/prepare-partition-downscale` | 200 JSON (below); POST on a pending partition 409 |
 * | `GET/POST/DELETE /live-store/prepare-downscale` | GET 200 `set\n`/`unset\n`; POST 204, or 409 unless every partition is inactive; DELETE 204 |
 * | `GET /api/ring` | `RingStatus` as JSON |
 * | `GET /ring` | an HTML page (partitions × zones grid); JSON with `Accept: application/json` |
 * | `GET /memberlist` | the peers, an HTML page; JSON (`MemberlistStatus`) with `Accept: application/json` |
 *
 * Every route answers 503 unless the cluster membership is running (Tempo checks that the
 * live-store service is Running). The downscale routes also answer 503 while the node is
 * `starting` or `stopping`; unlike Tempo (whose service is still Starting while it catches up)
 * they work while the node is `catching-up`: the ring change does not depend on the data.
 *
 * Downscale JSON: Tempo's live-store owns one partition and answers
 * `{"timestamp": <unix s of the switch to inactive, or 0>, "state": "PartitionInactive"|…}`.
 * A node of ours may own several: with exactly one partition it answers Tempo's object, with
 * none or several `{"partitions":[{"partition","timestamp","state"},…]}`. A partition missing
 * from the local view is `PartitionUnknown`. POST and DELETE act on every partition of the node
 * (all or nothing, ring/downscale.ts). Errors go through `httpStatusOf` (409 conflict, 503 not
 * running, else 500), with the message as the text body.
 *
 * The prepare-downscale flag lives in memory only (the lifecycler's `downscalePrepared`), so a
 * restart forgets it; Tempo also writes a shutdown marker file, so a restarted pod still gives up
 * its ownership on stop and does not re-create its partition. A POST answered 409 leaves the
 * flag as it was (Tempo has already written the marker by then).
 *
 * Metrics: `tempo_partition_ring_partitions{state}` and the gossip counters are kept by ring/
 * (gossip-stats.ts, on every commit); this module adds `livestore_ring_convergence_lag_seconds`
 * when given a registry (see `observeConvergenceLag`).
 *
 * Size: about 500 lines because the HTML renderers sit with the routes and status types they
 * render; they are the part to move out (ring-html.ts) if this grows.
 */
import { createHash } from 'node:crypto'
import { Hono } from 'hono'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Registry } from 'prom-client'
import type { Clock } from '../common/clock.ts'
import { LiveStoreError, NotReadyError, httpStatusOf } from '../common/errors.ts'
import type { Logger } from '../common/logger.ts'
import { histogramOn } from '../common/metrics.ts'
import type { Readiness } from '../common/readiness.ts'
import type { PartitionDownscaleStatus } from '../ring/downscale.ts'
import { formatHlc } from '../ring/hlc.ts'
import { maxTimestamp, ownerKey } from '../ring/model.ts'
import type { RingState } from '../ring/model.ts'
import { consumerOf } from '../ring/ownership.ts'
import { countTombstones, listMembers, listPartitions } from '../ring/read.ts'
import type { MemberView, TombstoneCounts } from '../ring/read.ts'
import type { PartitionState } from '../ring/states.ts'
import type { ClusterMembership } from './cluster.ts'

export interface RingHttpOptions {
  cluster: ClusterMembership
  clock: Clock
  readiness: Readiness
  /** Where `livestore_ring_convergence_lag_seconds` goes; without one it is not measured. */
  registry?: Registry
  /** Logs 500s. */
  logger?: Logger
}

/** Tempo's partition state names (dskit `PartitionState` enum). */
export type TempoPartitionState = 'PartitionUnknown' | 'PartitionPending' | 'PartitionActive' | 'PartitionInactive'

export type PartitionDownscaleBody =
  | { timestamp: number, state: TempoPartitionState }
  | { partitions: { partition: number, timestamp: number, state: TempoPartitionState }[] }

export interface RingViewVersion {
  /** The newest HLC timestamp in the view (`wall.logical`), heartbeats included: how fresh it is. */
  hlc: string | null
  /**
   * 16 hex digits of a hash of every register except heartbeats, tombstones included: two nodes
   * showing the same digest agree on every partition, owner and member entry. Heartbeats are
   * left out because they change every `heartbeat_period` and would keep digests apart.
   */
  digest: string
}

export interface OwnerStatus {
  nodeId: string
  zone: string
  /** As queries see it: a fresh heartbeat or a live connection (ClusterMembership.ownersOf). */
  healthy: boolean
  /** This owner is its zone's consumer of the partition, in this node's view (ring/ownership.ts). */
  consumer: boolean
  /** Age of the owner's member heartbeat; null when it has no member entry. */
  heartbeatAgeMs: number | null
  /** When the ownership was registered (HLC `wall.logical`). */
  since: string
}

export interface PartitionStatus {
  id: number
  state: PartitionState
  /** When the current state was written: HLC `wall.logical`, and its wall time as ISO 8601. */
  stateTs: string
  stateTime: string
  stateAgeMs: number
  locked: boolean
  owners: OwnerStatus[]
}

export interface MemberStatus {
  nodeId: string
  zone: string
  peerId: string | null
  addresses: string[]
  heartbeatAgeMs: number
  /** A transport connection to the member is up (always true for this node itself). */
  connected: boolean
  /** The rule queries use: this node, a heartbeat within `heartbeat_timeout`, or a connection. */
  healthy: boolean
  self: boolean
  /** The partitions it owns. */
  partitions: number[]
}

export interface NodeStatus {
  id: string
  zone: string
  peerId: string
  addresses: string[]
  version: RingViewVersion
  /** The join pull has finished. */
  synced: boolean
}

export interface RingStatus {
  node: NodeStatus
  /** This node's clock when the status was taken (Unix ms). */
  now: number
  /** Every zone of an owner or a member, sorted. */
  zones: string[]
  partitions: PartitionStatus[]
  members: MemberStatus[]
  tombstones: TombstoneCounts
  gossip: {
    messagesIn: { delta: number, full: number }
    messagesOut: { delta: number, full: number }
    merges: number
    changingMerges: number
    rejected: Record<string, number>
    exchanges: number
    failedExchanges: number
    publishFailed: number
  }
}

export interface MemberlistStatus {
  node: NodeStatus
  now: number
  /** Every other live member of the ring. */
  peers: MemberStatus[]
  /** Connected transport peers that are no ring member (yet). */
  unknownConnections: string[]
}

/** The app serving the downscale endpoints and the ring status pages (see the file comment). */
export function createRingHttpApp (opts: RingHttpOptions): Hono {
  const { cluster, clock, readiness, logger } = opts
  if (opts.registry !== undefined) observeConvergenceLag(cluster, clock, opts.registry)
  const app = new Hono()

  app.onError((err, c) => {
    const status = httpStatusOf(err) as ContentfulStatusCode
    if (status === 500) logger?.error({ err, method: c.req.method, path: c.req.path }, 'ring request failed')
    if (err instanceof LiveStoreError && err.retriable && status === 503) c.header('Retry-After', '1')
    return c.text(err.message, status)
  })

  const running = (): void => {
    if (cluster.state !== 'running') throw new NotReadyError(`the cluster membership is ${cluster.state}`)
  }
  const downscaleReady = (): void => {
    running()
    const state = readiness.state()
    if (state === 'starting' || state === 'stopping') throw new NotReadyError(readiness.reason() === '' ? `live-store is ${state}` : readiness.reason())
  }

  const partitionDownscale = '/live-store/prepare-partition-downscale'
  app.on(['GET', 'POST', 'DELETE'], partitionDownscale, async (c) => {
    downscaleReady()
    const lc = cluster.lifecycler
    const status = c.req.method === 'POST'
      ? await lc.preparePartitionDownscale()
      : c.req.method === 'DELETE' ? await lc.cancelPartitionDownscale() : lc.partitionDownscaleStatus()
    return c.json(partitionDownscaleBody(status))
  })

  const downscale = '/live-store/prepare-downscale'
  app.on(['GET', 'POST', 'DELETE'], downscale, (c) => {
    downscaleReady()
    const lc = cluster.lifecycler
    if (c.req.method === 'GET') return c.text(lc.downscalePrepared ? 'set\n' : 'unset\n')
    if (c.req.method === 'POST') lc.prepareDownscale()
    else lc.cancelPrepareDownscale()
    return c.body(null, 204)
  })

  for (const path of [partitionDownscale, downscale]) {
    app.all(path, (c) => c.body(null, 405, { Allow: 'GET, POST, DELETE' }))
  }

  app.get('/api/ring', (c) => {
    running()
    return noStore(c).json(ringStatus(cluster, clock.now()))
  })
  app.get('/ring', (c) => {
    running()
    const status = ringStatus(cluster, clock.now())
    return wantsJson(c) ? noStore(c).json(status) : noStore(c).html(renderRingPage(status))
  })
  app.get('/memberlist', (c) => {
    running()
    const status = memberlistStatus(cluster, clock.now())
    return wantsJson(c) ? noStore(c).json(status) : noStore(c).html(renderMemberlistPage(status))
  })
  return app
}

/** Tempo's downscale answer for one partition, our list for none or several (file comment). */
export function partitionDownscaleBody (status: readonly PartitionDownscaleStatus[]): PartitionDownscaleBody {
  const entries = status.map((s) => ({ partition: s.partition, timestamp: s.timestamp, state: tempoStateName(s.state) }))
  const [only] = entries
  return entries.length === 1 && only !== undefined ? { timestamp: only.timestamp, state: only.state } : { partitions: entries }
}

export function tempoStateName (state: PartitionState | undefined): TempoPartitionState {
  switch (state) {
    case 'pending': return 'PartitionPending'
    case 'active': return 'PartitionActive'
    case 'inactive': return 'PartitionInactive'
    default: return 'PartitionUnknown'
  }
}

/** The ring as this node sees it at `now` (throws NotReadyError before the cluster started). */
export function ringStatus (cluster: ClusterMembership, now: number): RingStatus {
  const state = requireState(cluster)
  const members = memberStatuses(cluster, state, now)
  const ages = new Map(members.map((m) => [m.nodeId, m.heartbeatAgeMs]))
  const ctx = { now, heartbeatTimeoutMs: cluster.ring.heartbeat_timeout }
  const zones = new Set(members.map((m) => m.zone))
  const partitions = listPartitions(state).map((p): PartitionStatus => {
    const consumers = new Map<string, string | undefined>()
    const owners = cluster.ownersOf(p.id).map((o): OwnerStatus => {
      zones.add(o.zone)
      if (!consumers.has(o.zone)) consumers.set(o.zone, consumerOf(state, p.id, o.zone, ctx))
      const entry = state.owners.get(ownerKey(o.nodeId, p.id))
      return {
        nodeId: o.nodeId,
        zone: o.zone,
        healthy: o.healthy,
        consumer: consumers.get(o.zone) === o.nodeId,
        heartbeatAgeMs: ages.get(o.nodeId) ?? null,
        since: entry === undefined ? '' : formatHlc(entry.ts),
      }
    })
    const stateAgeMs = Math.max(0, now - p.stateTs.wall)
    return { id: p.id, state: p.state, stateTs: formatHlc(p.stateTs), stateTime: new Date(p.stateTs.wall).toISOString(), stateAgeMs, locked: p.locked, owners }
  })
  const s = cluster.replica.stats
  return {
    node: nodeStatus(cluster, state),
    now,
    zones: [...zones].sort(),
    partitions,
    members,
    tombstones: countTombstones(state),
    gossip: {
      messagesIn: { ...s.messagesIn },
      messagesOut: { ...s.messagesOut },
      merges: s.merges,
      changingMerges: s.changingMerges,
      rejected: { ...s.rejected },
      exchanges: s.exchanges,
      failedExchanges: s.failedExchanges,
      publishFailed: s.publishFailed,
    },
  }
}

/** The other members as this node sees them at `now`, and connections that are no member. */
export function memberlistStatus (cluster: ClusterMembership, now: number): MemberlistStatus {
  const state = requireState(cluster)
  const members = memberStatuses(cluster, state, now)
  const known = new Set(members.map((m) => m.peerId))
  const unknownConnections = (cluster.transport?.peers() ?? []).filter((p) => !known.has(p)).sort()
  return { node: nodeStatus(cluster, state), now, peers: members.filter((m) => !m.self), unknownConnections }
}

/**
 * The version of a ring view (see `RingViewVersion`). Views are immutable and replaced on every
 * change, so the digest is computed once per view.
 */
export function viewVersion (state: RingState): RingViewVersion {
  const newest = maxTimestamp(state)
  let digest = digests.get(state)
  if (digest === undefined) {
    digest = viewDigest(state)
    digests.set(state, digest)
  }
  return { hlc: newest === undefined ? null : formatHlc(newest), digest }
}

const digests = new WeakMap<RingState, string>()

function viewDigest (state: RingState): string {
  const lines: string[] = []
  for (const p of state.partitions.values()) lines.push(JSON.stringify(['p', p.id, p.state.value, formatHlc(p.state.ts), p.state.writer, p.locked.value, formatHlc(p.locked.ts), p.locked.writer]))
  for (const [key, o] of state.owners) lines.push(JSON.stringify(['o', key, o.value.state, o.value.zone, formatHlc(o.ts), o.writer]))
  for (const m of state.members.values()) {
    const i = m.info
    lines.push(JSON.stringify(['m', m.nodeId, i.value.state, i.value.zone, i.value.addresses, formatHlc(i.ts), i.writer]))
  }
  // Sorted by UTF-16 code units, the same on every replica (localeCompare is not).
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)
}

/**
 * Observes `livestore_ring_convergence_lag_seconds` on every change merged from gossip: how long
 * after it was written (its HLC wall time) the newest register of the change reached this node.
 * Heartbeats count, so a quiet cluster still measures its gossip delay; a full-state repair of an
 * old change shows as a large value. Clock skew between nodes adds to it (negative values are
 * clamped to 0). Returns the unsubscribe function.
 */
export function observeConvergenceLag (cluster: ClusterMembership, clock: Clock, registry: Registry): () => void {
  const lag = histogramOn(registry, {
    name: 'livestore_ring_convergence_lag_seconds',
    help: 'Age, when merged here, of the newest register of each ring change received by gossip (now − its HLC wall time).',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  })
  return cluster.events.on('ring:changed', ({ delta, source }) => {
    if (source !== 'remote') return
    const newest = maxTimestamp(delta)
    if (newest !== undefined) lag.observe(Math.max(0, clock.now() - newest.wall) / 1000)
  })
}

function requireState (cluster: ClusterMembership): RingState {
  const state = cluster.ringState()
  if (state === undefined) throw new NotReadyError('the cluster membership is not started')
  return state
}

function nodeStatus (cluster: ClusterMembership, state: RingState): NodeStatus {
  const transport = cluster.transport
  return {
    id: cluster.ring.instance_id,
    zone: cluster.ring.instance_zone,
    peerId: transport?.localId ?? '',
    addresses: transport?.addresses() ?? [],
    version: viewVersion(state),
    synced: cluster.replica.synced,
  }
}

function memberStatuses (cluster: ClusterMembership, state: RingState, now: number): MemberStatus[] {
  const self = cluster.ring.instance_id
  const connected = new Set(cluster.transport?.peers() ?? [])
  const owned = new Map<string, number[]>()
  for (const o of state.owners.values()) {
    if (o.value.state !== 'active') continue
    const list = owned.get(o.ownerId) ?? []
    list.push(o.partition)
    owned.set(o.ownerId, list)
  }
  return listMembers(state).map((m: MemberView): MemberStatus => {
    const peerId = cluster.peerOf(m.nodeId) ?? null
    const age = Math.max(0, now - m.heartbeat.wall)
    return {
      nodeId: m.nodeId,
      zone: m.zone,
      peerId,
      addresses: [...m.addresses],
      heartbeatAgeMs: age,
      connected: m.nodeId === self || (peerId !== null && connected.has(peerId)),
      healthy: m.nodeId === self || age <= cluster.ring.heartbeat_timeout || (peerId !== null && connected.has(peerId)),
      self: m.nodeId === self,
      partitions: (owned.get(m.nodeId) ?? []).sort((a, b) => a - b),
    }
  })
}

function noStore (c: Context): Context {
  c.header('Cache-Control', 'no-store')
  return c
}

/** dskit's status pages answer JSON when the client asks for it, HTML otherwise. */
function wantsJson (c: Context): boolean {
  const accept = c.req.header('accept') ?? ''
  return accept.includes('application/json') && !accept.includes('text/html')
}

// ---- HTML (no external assets; every value goes through `esc`) ----

function esc (s: string | number): string {
  return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

/** 850ms, 12.3s, 4m05s, 2h03m. */
export function formatAge (ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}code{font-size:.9em}small{color:#666}
.pending{background:#fff3cd}.active{background:#d4edda}.inactive{background:#e2e3e5}
.ok{background:#d4edda}.bad{background:#f8d7da}.empty{background:#f8d7da;color:#721c24}
.owner{margin:.1em 0}.consumer{font-weight:bold}
nav a{margin-right:1em}`

function page (title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>\n<body>\n${body}\n</body></html>\n`
}

function header (title: string, node: NodeStatus, now: number): string {
  return `<h1>${esc(title)}</h1>
<p>Node <code>${esc(node.id)}</code>, zone <code>${esc(node.zone)}</code>, peer <code>${esc(node.peerId)}</code>${node.synced ? '' : ' (not synced yet)'}<br>
View version: HLC <code>${esc(node.version.hlc ?? 'empty')}</code>, digest <code>${esc(node.version.digest)}</code> <small>(nodes with the same digest hold the same ring, heartbeats aside)</small><br>
<small>Taken at ${esc(new Date(now).toISOString())}</small></p>
<nav><a href="">Refresh</a><a href="ring">Ring</a><a href="memberlist">Members</a><a href="api/ring">JSON</a></nav>`
}

function yesNo (ok: boolean, yes: string, no: string): string {
  return `<td class="${ok ? 'ok' : 'bad'}">${ok ? yes : no}</td>`
}

function membersTable (members: readonly MemberStatus[]): string {
  if (members.length === 0) return '<p>No members.</p>'
  const rows = members.map((m) => `<tr><td><code>${esc(m.nodeId)}</code>${m.self ? ' <small>(this node)</small>' : ''}</td><td>${esc(m.zone)}</td>` +
    `<td><code>${esc(m.peerId ?? '')}</code></td><td>${m.addresses.map((a) => `<code>${esc(a)}</code>`).join('<br>')}</td>` +
    `<td>${esc(formatAge(m.heartbeatAgeMs))}</td>${yesNo(m.healthy, 'healthy', 'unhealthy')}${yesNo(m.connected, 'yes', 'no')}` +
    `<td>${esc(m.partitions.join(', '))}</td></tr>`)
  return `<table><thead><tr><th>Node</th><th>Zone</th><th>Peer id</th><th>Addresses</th><th>Heartbeat age</th><th>Health</th><th>Connected</th><th>Owns</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`
}

function ownerCell (owners: readonly OwnerStatus[]): string {
  if (owners.length === 0) return '<td class="empty">no owner</td>'
  const anyHealthy = owners.some((o) => o.healthy)
  const lines = owners.map((o) => {
    const age = o.heartbeatAgeMs === null ? 'no member entry' : `heartbeat ${formatAge(o.heartbeatAgeMs)} ago`
    return `<div class="owner ${o.healthy ? 'ok' : 'bad'}${o.consumer ? ' consumer' : ''}"><code>${esc(o.nodeId)}</code> ` +
      `<small>${o.healthy ? 'healthy' : 'unhealthy'}${o.consumer ? ', consumer' : ''}, ${esc(age)}</small></div>`
  })
  return `<td class="${anyHealthy ? 'ok' : 'bad'}">${lines.join('')}</td>`
}

/** The /ring page: a partitions × zones grid, then the members, tombstones and gossip counters. */
export function renderRingPage (s: RingStatus): string {
  const zoneHeads = s.zones.map((z) => `<th>Zone <code>${esc(z)}</code></th>`).join('')
  const rows = s.partitions.map((p) => {
    const cells = s.zones.map((z) => ownerCell(p.owners.filter((o) => o.zone === z))).join('')
    return `<tr><td>${p.id}</td><td class="${p.state}">${p.state}${p.locked ? ' (locked)' : ''}<br><small>for ${esc(formatAge(p.stateAgeMs))}</small></td>${cells}</tr>`
  })
  const counts = { pending: 0, active: 0, inactive: 0 }
  for (const p of s.partitions) counts[p.state]++
  const g = s.gossip
  const rejected = Object.entries(g.rejected).filter(([, n]) => n > 0).map(([r, n]) => `${esc(r)}: ${n}`).join(', ')
  const grid = s.partitions.length === 0
    ? '<p>No partitions.</p>'
    : `<table><thead><tr><th>Partition</th><th>State</th>${zoneHeads}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`
  return page(`Partition ring: ${s.node.id}`, `${header('Partition ring', s.node, s.now)}
<h2>Partitions</h2>
<p>${counts.active} active, ${counts.pending} pending, ${counts.inactive} inactive. <small>Bold: the zone's consumer; red: no healthy owner.</small></p>
${grid}
<h2>Members</h2>
${membersTable(s.members)}
<h2>Gossip</h2>
<p>Tombstones: ${s.tombstones.partitions} partitions, ${s.tombstones.owners} owners, ${s.tombstones.members} members.<br>
Messages in: ${g.messagesIn.delta} delta, ${g.messagesIn.full} full; out: ${g.messagesOut.delta} delta, ${g.messagesOut.full} full; publish failures: ${g.publishFailed}.<br>
Merges: ${g.merges} (${g.changingMerges} changed the ring); anti-entropy exchanges: ${g.exchanges} (${g.failedExchanges} failed).<br>
Rejected: ${rejected === '' ? 'none' : rejected}.</p>`)
}

/** The /memberlist page: the other members and connections that are no member. */
export function renderMemberlistPage (s: MemberlistStatus): string {
  const unknown = s.unknownConnections.length === 0 ? '' : `<h2>Other connections</h2>\n<p>${s.unknownConnections.map((p) => `<code>${esc(p)}</code>`).join(', ')}</p>`
  return page(`Members: ${s.node.id}`, `${header('Members', s.node, s.now)}
<p>This node's addresses: ${s.node.addresses.map((a) => `<code>${esc(a)}</code>`).join(', ')}</p>
<h2>Peers</h2>
${membersTable(s.peers)}
${unknown}`)
}
