import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { produce as produceApi } from '../broker/protocol/apis/index.ts'
import { Reader } from '../broker/protocol/reader.ts'
import { encodeRecordBatch } from '../broker/protocol/record-batch.ts'
import type { RecordInput } from '../broker/protocol/records.ts'
import { CONTENT_TYPE_HEADER, DEFAULT_TENANT, PROTOBUF_CONTENT_TYPE, TENANT_HEADER } from '../ingest/record-format.ts'
import { partitionForTrace } from '../ingest/routing.ts'
import { kafkaClient, startBrokerProcess } from '../test/helpers/broker.ts'
import { httpAgent, httpRequest, quantile, scrape, sleep } from './helpers/http.ts'
import { cpuSeconds, rssBytes, startNodeChild, threadCores, threadCpuSeconds } from './helpers/node-child.ts'
import { recordPool, stamped } from './helpers/otlp-load.ts'
import { RawConnection, produceFrame } from './raw-kafka-client.ts'
import { report } from './report.ts'

/**
 * Start-up replay of a Kafka backlog (issue 4). A backlog of `--bytes` (env REPLAY_BYTES, default
 * 1 GiB of record values) is written into a broker data directory, then a node is started on it
 * (`livestore start --data-dir`, its embedded broker opening that directory) with an empty WAL,
 * so it replays the whole lookback; `readiness_target_lag` is set so /ready answers 503
 * `catching-up` until the reader reached the log end seen at start.
 *
 * Records are what the distributor writes (ingest/distributor.ts, ingest/record-format.ts): one
 * record per trace of a load-generator request, value = that trace's OTLP protobuf, key = trace
 * id, tenant and content-type headers, routed with ingest/routing.ts. A pool of records is made
 * once and re-sent with fresh trace ids (bytes 4..7). The backlog is produced by `livestore
 * broker` over a pipelining client on the broker's own codecs (fsync off: only the replay is
 * measured), then that broker stops and the node takes its directory over.
 *
 *   npm run bench -- replay [--bytes 1GiB] [--partitions 8] [--pool 4000] [--min-spans 5 --max-spans 40]
 *     [--target-lag 1ms] [--timeout 1800] [--cpu-prof DIR] [-- node flags...]
 *
 * Figures: records/s, spans/s and MB/s of the replay (the reader service starting, as logged →
 * every record consumed, from the node's /metrics polled every 250 ms), time to ready (spawn →
 * /ready 200, polled every 100 ms) with a timeline of the start, the node's own catch-up duration
 * metric, peak RSS, CPU by thread, and the records' size distribution. The backlog was just
 * written, so the broker reads it from the page cache (as after a process restart, not a reboot).
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bytes: { type: 'string', default: process.env.REPLAY_BYTES ?? '1GiB' },
    partitions: { type: 'string', default: '8' },
    pool: { type: 'string', default: '4000' },
    'min-spans': { type: 'string' },
    'max-spans': { type: 'string' },
    batch: { type: 'string', default: '200' },
    'target-lag': { type: 'string', default: '1ms' },
    timeout: { type: 'string', default: '1800' },
    'cpu-prof': { type: 'string', default: '' },
  },
})
const B = 'replay'
const targetBytes = parseBytes(String(values.bytes))
const partitions = Number(values.partitions)
const batchRecords = Number(values.batch)
const timeoutMs = Number(values.timeout) * 1000
const topic = 'otlp_spans'
if (loadavg()[0]! > 1) console.error(`replay: the machine is busy (load average ${loadavg()[0]!.toFixed(1)}); figures may be disturbed`)

const gen = {
  now: Date.now(),
  ...(values['min-spans'] === undefined ? {} : { minSpans: Number(values['min-spans']) }),
  ...(values['max-spans'] === undefined ? {} : { maxSpans: Number(values['max-spans']) }),
}
const pool = recordPool(Number(values.pool), gen)
const sizes = pool.map((r) => r.bytes.length).sort((a, b) => a - b)
const poolSpans = pool.reduce((n, r) => n + r.spans, 0)
const recordParams = {
  recordBytesP10: quantile(sizes, 0.1), recordBytesP50: quantile(sizes, 0.5), recordBytesP90: quantile(sizes, 0.9), recordBytesMax: sizes[sizes.length - 1],
  recordBytesMean: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length), spansPerRecord: Math.round(poolSpans / pool.length * 10) / 10,
}

const dir = mkdtempSync(join(tmpdir(), 'livestore-bench-replay-'))
try {
  const backlog = await buildBacklog(join(dir, 'broker'))
  const params = { backlogBytes: backlog.bytes, records: backlog.records, spans: backlog.spans, partitions, ...recordParams }
  report(B, 'backlog_produce_records_per_s', backlog.records / backlog.seconds, 'records/s', { ...params, client: 'raw pipelining, fsync never' })
  await replay(params, backlog)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

interface Backlog { records: number, spans: number, bytes: number, seconds: number }

/** Produces records until their values add up to `targetBytes`, through `livestore broker`. */
async function buildBacklog (brokerDir: string): Promise<Backlog> {
  const proc = await startBrokerProcess(brokerDir, ['--partitions', String(partitions), '--broker.fsync', 'never'])
  try {
    const admin = kafkaClient(proc.address, 'bench-replay').admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] })
    await admin.disconnect()
    const conns = await Promise.all(Array.from({ length: 2 }, () => RawConnection.open(proc.port)))
    const pending: { partition: number, records: RecordInput[] }[] = Array.from({ length: partitions }, (_, p) => ({ partition: p, records: [] }))
    const headers = [{ key: TENANT_HEADER, value: Buffer.from(DEFAULT_TENANT) }, { key: CONTENT_TYPE_HEADER, value: Buffer.from(PROTOBUF_CONTENT_TYPE) }]
    const inflight = new Set<Promise<void>>()
    let conn = 0
    const send = async (partition: number, records: RecordInput[]): Promise<void> => {
      const frame = produceFrame(topic, partition, encodeRecordBatch({ records }), 1)
      const body = await conns[conn++ % conns.length]!.request(frame)
      const res = produceApi.decodeResponse(7, new Reader(body))
      const err = res.topics[0]?.partitions[0]?.errorCode
      if (err !== 0) throw new Error(`produce to partition ${partition} failed with error code ${err}`)
    }
    const flush = async (p: { partition: number, records: RecordInput[] }): Promise<void> => {
      const records = p.records
      p.records = []
      const job = send(p.partition, records)
      inflight.add(job)
      void job.finally(() => inflight.delete(job)).catch(() => undefined)
      if (inflight.size >= 16) await Promise.race(inflight)
    }
    const b: Backlog = { records: 0, spans: 0, bytes: 0, seconds: 0 }
    const t0 = performance.now()
    for (let i = 0; b.bytes < targetBytes; i++) {
      const r = pool[i % pool.length]!
      const round = Math.floor(i / pool.length) + 1
      const value = stamped(r, round)
      const key = Buffer.from(r.traceId)
      key.writeUInt32BE(round, 4)
      const p = pending[partitionForTrace(DEFAULT_TENANT, key, partitions)]!
      p.records.push({ key, value, headers, timestamp: BigInt(Date.now()) })
      b.records++
      b.spans += r.spans
      b.bytes += value.length
      if (p.records.length >= batchRecords) await flush(p)
    }
    for (const p of pending) if (p.records.length > 0) await flush(p)
    await Promise.all(inflight)
    b.seconds = (performance.now() - t0) / 1000
    for (const c of conns) c.close()
    return b
  } finally {
    proc.child.kill('SIGTERM')
    await proc.exited
  }
}

/** Starts a node on the backlog and times its replay and readiness. */
async function replay (params: Record<string, unknown>, backlog: Backlog): Promise<void> {
  const profDir = String(values['cpu-prof'])
  const agent = httpAgent(4)
  const node = await startNodeChild(dir, {
    nodeOptions: ['--max-old-space-size=8192', ...(profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir])],
    args: ['--live_store.readiness_target_lag', String(values['target-lag']), '--overrides.max_traces_per_user', '0', ...positionals],
    startTimeoutMs: 120_000,
  })
  let stopped = false
  let finished = false
  try {
    const listeningAt = performance.now()
    const consuming = await node.waitLog('consuming partitions', 60_000)
    // The replay starts when the reader service starts (its offset lookups and group joins count:
    // the first partitions consume while the others still join).
    const readerStart = node.logs.find((l) => l.rec.msg === 'starting service' && l.rec.service === 'partition-reader') ?? consuming
    const deadline = node.spawnedAt + timeoutMs
    let readyAt: number | undefined
    let allAt: number | undefined
    let firstAt: number | undefined
    let metrics = new Map<string, number>()
    const cpu0 = await cpuSeconds(node.pid)
    const threads0 = { at: performance.now(), cpu: await threadCpuSeconds(node.pid) }
    let threadsAll: Map<number, number> | undefined
    const readyPoll = (async () => {
      while (readyAt === undefined && !finished && performance.now() < deadline) {
        const r = await httpRequest(`${node.api}/ready`, { agent }).catch(() => ({ status: 0 }))
        if (r.status === 200) readyAt = performance.now()
        else await sleep(100)
      }
    })()
    while (performance.now() < deadline && (allAt === undefined || readyAt === undefined)) {
      metrics = await scrape(node.api, agent)
      const done = (metrics.get('tempo_live_store_records_processed_total') ?? 0) + (metrics.get('tempo_live_store_records_dropped_total') ?? 0)
      if (done > 0 && firstAt === undefined) firstAt = performance.now()
      if (done >= backlog.records && allAt === undefined) { allAt = performance.now(); threadsAll = await threadCpuSeconds(node.pid) }
      await sleep(250)
    }
    await readyPoll
    const cpu = (await cpuSeconds(node.pid)) - cpu0
    if (readyAt === undefined || allAt === undefined) throw new Error(`replay did not finish within ${timeoutMs / 1000} s`)
    const caughtUp = await node.waitLog('caught up with the log end seen at start', 10_000).catch(() => undefined)
    metrics = await scrape(node.api, agent)
    const peak = (await rssBytes(node.pid)).peak

    const replaySec = (allAt - readerStart.at) / 1000
    if (firstAt === allAt) console.error(`${B}: the replay ended before the node's HTTP server answered; the rate is a lower bound (use a bigger --bytes)`)
    const p = {
      ...params, targetLag: values['target-lag'], replaySeconds: round2(replaySec),
      firstScrapeAfterS: firstAt === undefined ? null : round2((firstAt - readerStart.at) / 1000),
      discardedSpans: metrics.get('tempo_discarded_spans_total') ?? 0, droppedRecords: metrics.get('tempo_live_store_records_dropped_total') ?? 0,
      backPressureS: metrics.get('tempo_live_store_back_pressure_seconds_total') ?? 0,
    }
    report(B, 'replay_records_per_s', backlog.records / replaySec, 'records/s', p)
    report(B, 'replay_spans_per_s', backlog.spans / replaySec, 'spans/s', p)
    report(B, 'replay_mb_per_s', backlog.bytes / replaySec / 1e6, 'MB/s', p)
    // Where the time to ready went: seconds after the spawn at which the node logged each step.
    const logged = (msg: string): number | null => {
      const l = node.logs.find((x) => x.rec.msg === msg)
      return l === undefined ? null : round2((l.at - node.spawnedAt) / 1000)
    }
    const timeline = { brokerStorageOpenedS: logged('storage opened'), blocksLoadedS: logged('loaded blocks'), readerStartS: round2((readerStart.at - node.spawnedAt) / 1000), consumingS: logged('consuming partitions'), listeningS: round2((listeningAt - node.spawnedAt) / 1000), allConsumedS: round2((allAt - node.spawnedAt) / 1000) }
    report(B, 'time_to_ready', (readyAt - node.spawnedAt) / 1000, 's', { ...p, ...timeline, readyAfterAllConsumedS: round2((readyAt - allAt) / 1000) })
    report(B, 'node_catch_up_duration', metrics.get('tempo_live_store_catch_up_duration_seconds') ?? NaN, 's', { ...p, note: 'the node\'s metric; checked every 5 s', loggedRecords: caughtUp?.rec.records ?? null })
    report(B, 'node_peak_rss', peak / 1024 / 1024, 'MiB', p)
    const threads = threadsAll === undefined ? [] : threadCores(threads0.cpu, threadsAll, (allAt - threads0.at) / 1000)
    report(B, 'node_cpu_cores', cpu / ((performance.now() - threads0.at) / 1000), 'cores', { ...p, threadCores: threads.map((t) => `${t.tid === node.pid ? 'main' : t.tid - node.pid}:${t.cores}`).join(' ') })
    console.error(`replay: ${backlog.records} records (${(backlog.bytes / 2 ** 20).toFixed(0)} MiB, ${recordParams.spansPerRecord} spans/record) replayed in ${replaySec.toFixed(1)} s = ` +
      `${Math.round(backlog.records / replaySec)} records/s (${Math.round(backlog.spans / replaySec)} spans/s, ${(backlog.bytes / replaySec / 1e6).toFixed(0)} MB/s); ready ${((readyAt - node.spawnedAt) / 1000).toFixed(1)} s after spawn` +
      (profDir === '' ? '' : `; CPU profile in ${profDir}`))
    if (profDir !== '') { stopped = true; await node.stop(300_000) }
  } finally {
    finished = true
    if (!stopped) await node.kill()
    agent.destroy()
  }
}

function parseBytes (s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(|k|ki|kib|kb|m|mi|mib|mb|g|gi|gib|gb)$/i.exec(s.trim())
  if (m === null) throw new Error(`--bytes: cannot parse ${JSON.stringify(s)} (e.g. 1GiB, 256MiB, 100000000)`)
  const unit = m[2]!.toLowerCase()
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 2 ** 20 : unit.startsWith('g') ? 2 ** 30 : 1
  return Math.round(Number(m[1]) * mult)
}

function round2 (x: number): number {
  return Math.round(x * 100) / 100
}
