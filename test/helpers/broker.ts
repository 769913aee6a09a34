import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Kafka, logLevel } from 'kafkajs'
import { pino } from 'pino'
import { Broker } from '../../broker/broker.ts'
import { brokerSchema } from '../../broker/config.ts'
import type { BrokerConfig } from '../../broker/config.ts'
import { defaultsOf } from '../../common/config-schema.ts'
import { createRegistry } from '../../node/metrics.ts'
import { systemClock } from '../../node/system-clock.ts'

export const repoRoot = new URL('../../', import.meta.url).pathname

/** A fresh temporary directory and its remover. */
export function tempDir (prefix = 'livestore-'): { path: string, remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export function brokerConfig (overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  return { ...defaultsOf(brokerSchema), host: '127.0.0.1', port: 0, ...overrides }
}

export interface TestBroker {
  broker: Broker
  address: string
  port: number
  registry: ReturnType<typeof createRegistry>
  stop: () => Promise<void>
}

/** Starts an in-process broker on an ephemeral loopback port. */
export async function startBroker (overrides: Partial<BrokerConfig> & { data_dir: string }): Promise<TestBroker> {
  const registry = createRegistry({ defaultMetrics: false })
  const broker = new Broker({ config: brokerConfig(overrides), clock: systemClock(), logger: pino({ level: process.env.LIVESTORE_TEST_LOG ?? 'silent' }), registry })
  await broker.start(new AbortController().signal)
  const port = broker.address().port
  return { broker, port, address: `127.0.0.1:${port}`, registry, stop: () => broker.stop() }
}

export interface BrokerProcess { child: ChildProcess, port: number, address: string, exited: Promise<number | null> }

/**
 * Starts `node bin/livestore.js broker` as a child process (the real CLI path) and waits for its
 * "broker listening" log line to learn the ephemeral port.
 */
export async function startBrokerProcess (dataDir: string, extraArgs: string[] = [], port = 0): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/livestore.js'), 'broker', '--port', String(port), '--data-dir', dataDir, ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream })
  const stderr: string[] = []
  const found = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker process did not start:\n${stderr.join('\n')}`)), 20_000)
    lines.on('line', (line) => {
      stderr.push(line)
      try {
        const rec = JSON.parse(line) as { msg?: string, port?: number }
        if (rec.msg === 'broker listening' && typeof rec.port === 'number') { clearTimeout(timer); resolve(rec.port) }
      } catch { /* not JSON */ }
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`broker process exited with ${code}:\n${stderr.join('\n')}`)) })
  })
  return { child, port: found, address: `127.0.0.1:${found}`, exited }
}

/** A kafkajs client with quiet logs and fast retries for tests. */
export function kafkaClient (address: string, clientId = 'test'): Kafka {
  return new Kafka({ clientId, brokers: [address], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 8 } })
}

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
