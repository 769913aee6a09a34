import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, describe, it } from 'node:test'
import { kafkaClient, repoRoot, tempDir } from '../helpers/broker.ts'

/** The `livestore` executable as operators run it: `node bin/livestore.js …`, no wrapper. */
const bin = join(repoRoot, 'bin/livestore.js')

describe('livestore command line', () => {
  const dir = tempDir('livestore-cli-')
  after(() => dir.remove())

  it('starts a node on the embedded default, serves /ready and /metrics, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'start', '--broker.port', '0', '--broker.data_dir', join(dir.path, 'broker'), '--server.http_listen_port', '0', '--server.http_listen_address', '127.0.0.1', '--otlp-http-port', '0', '--distributor.otlp_http_listen_address', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const ports: { http?: number, broker?: number } = {}
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('node did not start')), 20_000)
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
        const rec = JSON.parse(line) as { msg: string, service?: string, port?: number, address?: { port: number } }
        if (rec.msg === 'broker listening') ports.broker = rec.port
        if (rec.msg === 'http server listening' && rec.service === 'query-api') ports.http = rec.address?.port
        if (ports.http !== undefined && ports.broker !== undefined) { clearTimeout(timer); resolve() }
      })
    })
    try {
      assert.equal(child.pid !== undefined, true)
      const ready = await fetch(`http://127.0.0.1:${ports.http}/ready`)
      assert.equal(ready.status, 200)
      // The embedded broker is a real Kafka endpoint.
      const admin = kafkaClient(`127.0.0.1:${ports.broker}`).admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic: 'cli', numPartitions: 2 }] })
      await admin.disconnect()
      const metrics = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text()
      // The node created its topic, the test created 'cli': both went through the embedded broker.
      assert.ok(/livestore_broker_requests_total\{api="CreateTopics"\} 2/.test(metrics), 'broker metrics on /metrics')
      assert.ok(/tempo_live_store_partition_owned\{partition="0",zone="live-store"\} 1/.test(metrics), 'the node owns the partitions')
      assert.ok(metrics.includes('process_cpu_seconds_total'), 'process metrics')
      const config = await (await fetch(`http://127.0.0.1:${ports.http}/status/config`)).text()
      assert.match(config, /fsync: always/)
    } finally {
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0)
  })

  it('refuses a bad configuration listing every problem, with exit status 2', () => {
    const file = join(dir.path, 'bad.yaml')
    writeFileSync(file, 'broker:\n  port: -1\n  fsync: maybe\n')
    const r = spawnSync(process.execPath, [bin, 'start', '-c', file, '--kafka.brokers', 'nohost', 'stray'], { env: { ...process.env, LIVESTORE_BROKER_PARTITIONS: 'many' }, encoding: 'utf8' })
    assert.equal(r.status, 2)
    assert.match(r.stderr, /invalid configuration/)
    assert.match(r.stderr, /command line: unexpected argument "stray"/)
    const again = spawnSync(process.execPath, [bin, 'start', '-c', file, '--kafka.brokers', 'nohost'], { env: { ...process.env, LIVESTORE_BROKER_PARTITIONS: 'many' }, encoding: 'utf8' })
    for (const key of ['broker.port', 'broker.fsync', 'broker.partitions', 'kafka.brokers[0]']) assert.match(again.stderr, new RegExp(`- ${key.replace(/[.[\]]/g, '\\$&')}: `))
  })

  it('prints the config reference and the effective config', () => {
    const ref = spawnSync(process.execPath, [bin, 'config', '--reference'], { encoding: 'utf8' })
    assert.equal(ref.status, 0, ref.stderr)
    assert.match(ref.stdout, /\| `broker\.data_dir` \| string \| `\.\/data\/broker` \|/)
    const eff = spawnSync(process.execPath, [bin, 'config', '--broker.partitions', '3'], { encoding: 'utf8' })
    assert.match(eff.stdout, /partitions: 3/)
  })
})
