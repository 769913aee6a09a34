import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ConfigError } from '../common/errors.ts'
import { loadConfig, envNameOf } from './config.ts'
import { configReference } from './config-reference.ts'

const dir = mkdtempSync(join(tmpdir(), 'livestore-config-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function yamlFile (text: string): string {
  const p = join(dir, `c${Math.floor(performance.now() * 1000)}.yaml`)
  writeFileSync(p, text)
  return p
}

function issuesOf (fn: () => unknown): { key: string, message: string }[] {
  try { fn() } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`)
    return [...err.issues]
  }
  assert.fail('expected a ConfigError')
}

describe('config', () => {
  it('has working defaults with no sources', () => {
    const c = loadConfig()
    assert.equal(c.broker.port, 9092)
    assert.equal(c.broker.fsync, 'always')
    assert.equal(c.broker.log_retention, 168 * 3600 * 1000)
    assert.deepEqual(c.kafka.brokers, [])
    assert.equal(c.server.http_listen_port, 3200)
    assert.ok(Object.isFrozen(c.broker))
  })

  it('layers file, then environment, then flags', () => {
    const file = yamlFile('broker:\n  port: 1111\n  partitions: 3\n  log_retention: 90m\nserver:\n  log_level: debug\n')
    const c = loadConfig({ file, env: { LIVESTORE_BROKER_PORT: '2222', HOME: '/x' }, flags: { 'broker.partitions': '5' } })
    assert.equal(c.broker.port, 2222)
    assert.equal(c.broker.partitions, 5)
    assert.equal(c.broker.log_retention, 90 * 60_000)
    assert.equal(c.server.log_level, 'debug')
  })

  it('parses durations, sizes and lists from strings', () => {
    const c = loadConfig({ flags: { 'broker.fsync_interval': '1m30s', 'broker.log_segment_bytes': '64MiB', 'kafka.brokers': 'a:9092, b:9093' } })
    assert.equal(c.broker.fsync_interval, 90_000)
    assert.equal(c.broker.log_segment_bytes, 64 * 1024 * 1024)
    assert.deepEqual(c.kafka.brokers, ['a:9092', 'b:9093'])
  })

  it('lists every problem with its key, from every source', () => {
    const file = yamlFile('broker:\n  port: 70000\n  fsync: sometimes\n  colour: blue\nnonsense: 1\n')
    const issues = issuesOf(() => loadConfig({ file, env: { LIVESTORE_BROKER_PARTITONS: '3' }, flags: { 'broker.log_retention': '5 minutes', 'kafka.brokers': 'nohostport' } }))
    const keys = issues.map((i) => i.key).sort()
    assert.deepEqual(keys, ['LIVESTORE_BROKER_PARTITONS', 'broker.colour', 'broker.fsync', 'broker.log_retention', 'broker.port', 'kafka.brokers[0]', 'nonsense'])
    assert.match(issues.find((i) => i.key === 'broker.port')?.message ?? '', /must be <= 65535, got 70000 \(from file\)/)
    assert.match(issues.find((i) => i.key === 'broker.fsync')?.message ?? '', /one of always, interval, never/)
  })

  it('checks cross-field rules', () => {
    const issues = issuesOf(() => loadConfig({ flags: { 'broker.group_min_session_timeout': '10m', 'broker.group_max_session_timeout': '1m' } }))
    assert.equal(issues[0]?.key, 'broker.group_min_session_timeout')
  })

  it('has Tempo\'s live-store lifecycle defaults', () => {
    const c = loadConfig()
    assert.equal(c.live_store.max_trace_idle, 5000)
    assert.equal(c.live_store.max_trace_live, 30_000)
    assert.equal(c.live_store.flush_check_period, 5000)
    assert.equal(c.live_store.max_block_duration, 30_000)
    assert.equal(c.live_store.max_block_bytes, 50 * 1024 * 1024)
    assert.equal(c.live_store.complete_block_concurrency, 2)
    assert.equal(c.live_store.complete_block_timeout, 20 * 60_000)
    assert.equal(c.live_store.block_reclaim_grace, 2 * 60_000)
    assert.equal(c.live_store.max_live_traces_bytes, 250_000_000)
    assert.equal(c.live_store.wal.ingestion_time_range_slack, 2 * 60_000)
    assert.equal(c.live_store.readiness_target_lag, 0)
    assert.equal(c.live_store.readiness_max_wait, 30 * 60_000)
  })

  it('accepts the Tempo 2.x ingester keys with a deprecation warning naming the new key', () => {
    const warnings: string[] = []
    const file = yamlFile('ingester:\n  trace_idle_period: 10s\n  max_block_bytes: 1MiB\n  max_block_duration: 1m\n  complete_block_timeout: 15m\n')
    const c = loadConfig({ file, warn: (m) => warnings.push(m) })
    assert.equal(c.live_store.max_trace_idle, 10_000)
    assert.equal(c.live_store.max_block_bytes, 1024 * 1024)
    assert.equal(c.live_store.max_block_duration, 60_000)
    assert.equal(c.live_store.complete_block_timeout, 15 * 60_000)
    assert.deepEqual(warnings, [
      'ingester.trace_idle_period (from file) is deprecated: use live_store.max_trace_idle',
      'ingester.max_block_bytes (from file) is deprecated: use live_store.max_block_bytes',
      'ingester.max_block_duration (from file) is deprecated: use live_store.max_block_duration',
      'ingester.complete_block_timeout (from file) is deprecated: use live_store.complete_block_timeout',
    ])
    // The new key wins over its old name; env and flags take old names too.
    const both = loadConfig({ file: yamlFile('ingester:\n  trace_idle_period: 10s\nlive_store:\n  max_trace_idle: 3s\n') })
    assert.equal(both.live_store.max_trace_idle, 3000)
    assert.equal(loadConfig({ env: { LIVESTORE_INGESTER_TRACE_IDLE_PERIOD: '7s' } }).live_store.max_trace_idle, 7000)
    assert.equal(loadConfig({ flags: { 'ingester.max_block_duration': '2m' } }).live_store.max_block_duration, 120_000)
    // Other ingester keys are refused with the list of accepted ones.
    const issues = issuesOf(() => loadConfig({ file: yamlFile('ingester:\n  lifecycler: {}\n') }))
    assert.equal(issues[0]?.key, 'ingester.lifecycler')
    assert.match(issues[0]?.message ?? '', /only ingester.trace_idle_period, .* are accepted/)
  })

  it('refuses max_trace_live below max_trace_idle', () => {
    const issues = issuesOf(() => loadConfig({ flags: { 'live_store.max_trace_idle': '10s', 'live_store.max_trace_live': '5s' } }))
    assert.deepEqual(issues.map((i) => i.key), ['live_store.max_trace_live'])
  })

  it('reports an unreadable or non-mapping file clearly', () => {
    assert.match(issuesOf(() => loadConfig({ file: join(dir, 'missing.yaml') }))[0]?.message ?? '', /cannot read config file/)
    assert.match(issuesOf(() => loadConfig({ file: yamlFile('- a\n- b\n') }))[0]?.message ?? '', /YAML mapping/)
    assert.match(issuesOf(() => loadConfig({ file: yamlFile('broker: [1]\n') }))[0]?.message ?? '', /must be a mapping/)
  })

  it('names environment variables after the dotted key', () => {
    assert.equal(envNameOf('broker.data_dir'), 'LIVESTORE_BROKER_DATA_DIR')
  })

  it('is documented in README.md exactly as the schemas say (regenerate with `livestore config --reference`)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    assert.ok(readme.includes(configReference()), 'README.md configuration reference is out of date')
  })

  it('prints a reference row for every key', () => {
    const ref = configReference()
    assert.match(ref, /\| `broker\.fsync` \| always \\\| interval \\\| never \| `always` \| `LIVESTORE_BROKER_FSYNC` \|/)
    assert.match(ref, /\| `broker\.log_retention` \| duration \| `168h` \|/)
  })
})
