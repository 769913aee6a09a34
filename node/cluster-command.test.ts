import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreatePeerKey } from '../ring/transport/keys.ts'
import { parseClusterKey } from '../ring/transport/psk.ts'
import { parseKeyFlags } from './cli-flags.ts'
import { stopChildren } from './cluster-children.ts'
import type { Child, ExitInfo, SpawnLivestore } from './cluster-children.ts'
import { parseClusterOptions, runCluster } from './cluster-command.ts'
import type { ClusterDeps, ClusterSettings } from './cluster-command.ts'
import { systemClock } from './system-clock.ts'

interface Spawned { name: string, args: readonly string[], child: FakeChild }

interface FakeChild extends Child {
  /** Exits by itself, as a crash would. */
  crash: () => void
}

/**
 * Children that behave like `livestore broker` / `livestore start` on the outside: they listen on
 * the ports their flags name (the node answers GET /ready with 200) and exit on SIGTERM.
 */
function fakeProcesses (o: { failing?: string, deaf?: string } = {}): { spawn: SpawnLivestore, spawned: Spawned[], events: string[] } {
  const spawned: Spawned[] = []
  const events: string[] = []
  let pid = 1000
  const spawn: SpawnLivestore = (name, args, log) => {
    events.push(`spawn ${name}`)
    const servers: Server[] = []
    const flag = (key: string): number => Number(args[args.indexOf(key) + 1])
    let exit: ExitInfo | undefined
    let resolve: (e: ExitInfo) => void = () => undefined
    const exited = new Promise<ExitInfo>((r) => { resolve = r })
    const end = (e: ExitInfo): void => {
      if (exit !== undefined) return
      exit = e
      for (const s of servers) s.close()
      resolve(e)
    }
    if (name === o.failing) {
      writeFileSync(log, 'first line\nfatal: cannot bind\n')
      setTimeout(() => end({ code: 1, signal: null }), 50)
    } else if (args[0] === 'broker') {
      servers.push(createServer((s) => s.destroy()).listen(flag('--port'), '127.0.0.1'))
    } else {
      const { flags } = parseKeyFlags(args.slice(3))
      servers.push(createServer((s) => s.destroy()).listen(Number(flags['memberlist.bind_port']), '127.0.0.1'))
      servers.push(createHttpServer((req, res) => { res.statusCode = req.url === '/ready' ? 200 : 404; res.end() }).listen(Number(flags['server.http_listen_port']), '127.0.0.1') as unknown as Server)
    }
    const child: FakeChild = {
      name,
      pid: pid++,
      log,
      exited,
      get exit () { return exit },
      kill: (signal) => {
        events.push(`${signal} ${name}`)
        if (signal === 'SIGKILL') end({ code: null, signal })
        else if (name !== o.deaf) setTimeout(() => end({ code: 0, signal: null }), 10)
      },
      crash: () => end({ code: null, signal: 'SIGKILL' }),
    }
    spawned.push({ name, args, child })
    return child
  }
  return { spawn, spawned, events }
}

function lines (): { write: (s: string) => void, text: () => string, waitFor: (re: RegExp) => Promise<void> } {
  let buf = ''
  const waiters: (() => void)[] = []
  return {
    write: (s) => { buf += s; for (const w of waiters.splice(0)) w() },
    text: () => buf,
    waitFor: async (re) => { while (!re.test(buf)) await new Promise<void>((resolve) => waiters.push(resolve)) },
  }
}

function harness (spawn: SpawnLivestore): { deps: ClusterDeps, stdout: ReturnType<typeof lines>, stderr: ReturnType<typeof lines>, signal: (s: string) => void } {
  const stdout = lines()
  const stderr = lines()
  let handler: ((s: string) => void) | undefined
  const deps: ClusterDeps = {
    spawn,
    run: () => Promise.reject(new Error('no ip commands without --netns')),
    netnsId: 1,
    clock: systemClock(),
    stdout,
    stderr,
    onStopSignal: (h) => { handler = h; return () => { handler = undefined } },
    nodeGraceMs: 2000,
    brokerGraceMs: 2000,
  }
  return { deps, stdout, stderr, signal: (s) => handler?.(s) }
}

function settings (over: Partial<ClusterSettings>): ClusterSettings {
  return { ...parseClusterOptions({ zones: '2', nodesPerZone: '1', partitions: '2', json: true, readyTimeout: '5s' }), ...over }
}

describe('livestore cluster (fake children)', () => {
  const dirs: string[] = []
  const newDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'livestore-cluster-test-')); dirs.push(d); return d }
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('starts the broker, the first node, the owners joining it, then the standbys; prints one JSON line per node; stops nodes before the broker', async () => {
    const dataDir = newDir()
    const fake = fakeProcesses()
    const h = harness(fake.spawn)
    const run = runCluster(settings({ zones: 2, nodesPerZone: 2, partitions: 1, dataDir }), h.deps)
    await h.stderr.waitFor(/ready; Kafka broker/)
    assert.deepEqual(fake.events.slice(0, 2), ['spawn broker', 'spawn a-0'])
    // Standbys (P < N) are spawned only once every owner is ready.
    const out = h.stdout.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.deepEqual(out.map((l) => l.node).slice(0, 2).sort(), ['a-0', 'b-0'])
    assert.deepEqual(out.map((l) => l.node).slice(2).sort(), ['a-1', 'b-1'])
    assert.deepEqual(fake.events.indexOf('spawn a-1') > fake.events.indexOf('spawn b-0'), true)
    for (const l of out) assert.deepEqual(Object.keys(l), ['node', 'zone', 'pid', 'host', 'http', 'otlp'])
    const byName = new Map(fake.spawned.map((s) => [s.name, s]))
    assert.equal(out.find((l) => l.node === 'b-1')?.pid, byName.get('b-1')?.child.pid)

    // The peer ids of the nodes joined through were known before they started: the owners join
    // through the first node, a standby through the first node of its zone.
    const peerOf = async (name: string): Promise<string> => peerIdFromPrivateKey((await loadOrCreatePeerKey(join(dataDir, name, 'memberlist'))).privateKey).toString()
    const flagsOf = (name: string): Record<string, string> => parseKeyFlags(byName.get(name)?.args.slice(3) ?? []).flags
    const joinRe = (peer: string, node: string): RegExp => new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/${flagsOf(node)['memberlist.bind_port']}/p2p/${peer}$`)
    assert.equal(flagsOf('a-0')['memberlist.join_members'], undefined)
    for (const name of ['a-1', 'b-0']) assert.match(flagsOf(name)['memberlist.join_members'] ?? '', joinRe(await peerOf('a-0'), 'a-0'))
    assert.match(flagsOf('b-1')['memberlist.join_members'] ?? '', joinRe(await peerOf('b-0'), 'b-0'))
    assert.equal(flagsOf('b-1')['live_store.partitions'], '0')
    assert.equal(flagsOf('b-1')['memberlist.key_file'], join(dataDir, 'cluster.key'))
    assert.equal(statSync(join(dataDir, 'cluster.key')).mode & 0o777, 0o600)
    parseClusterKey(readFileSync(join(dataDir, 'cluster.key')))

    h.signal('SIGTERM')
    await run
    const stops = fake.events.filter((e) => e.startsWith('SIGTERM'))
    assert.equal(stops.at(-1), 'SIGTERM broker')
    assert.equal(stops.length, 5)
    for (const s of fake.spawned) assert.notEqual(s.child.exit, undefined, `${s.name} still runs`)
    assert.ok(existsSync(join(dataDir, 'cluster.key')), 'a given data dir is kept')
  })

  it('reports a node that dies once the cluster is up and keeps the others; a temporary data dir is removed at exit', async () => {
    const fake = fakeProcesses()
    const h = harness(fake.spawn)
    const run = runCluster(settings({ json: false }), h.deps)
    await h.stdout.waitFor(/ready; Kafka broker/)
    assert.match(h.stdout.text(), /^node a-0 {2}pid \d+ {2}query http:\/\/127\.0\.0\.1:\d+ {2}otlp http:\/\/127\.0\.0\.1:\d+\/v1\/traces/m)
    const dir = /data in (\S+) \(removed at exit\)/.exec(h.stderr.text())?.[1]
    assert.ok(dir !== undefined && existsSync(dir))
    const b0 = fake.spawned.find((s) => s.name === 'b-0')
    b0?.child.crash()
    await h.stderr.waitFor(/b-0 \(pid \d+\) was killed by SIGKILL; the others keep running/)
    h.signal('SIGINT')
    await run
    assert.equal(existsSync(dir), false)
    assert.equal(fake.events.includes('SIGTERM b-0'), false)
  })

  it('fails with the end of the log of a node that died while starting, after stopping the rest', async () => {
    const fake = fakeProcesses({ failing: 'b-0' })
    const h = harness(fake.spawn)
    await assert.rejects(runCluster(settings({}), h.deps), /b-0 \(pid \d+\) exited with code 1 before ready; its log \S+b-0\.log ends with:\nfirst line\nfatal: cannot bind/)
    for (const s of fake.spawned) assert.notEqual(s.child.exit, undefined, `${s.name} still runs`)
    const dir = /logs are kept in (\S+)/.exec(h.stderr.text())?.[1]
    assert.ok(dir !== undefined && existsSync(join(dir, 'b-0.log')))
    dirs.push(dir)
  })

  it('a stop signal while starting is a normal stop', async () => {
    const fake = fakeProcesses()
    const h = harness(fake.spawn)
    const run = runCluster(settings({ dataDir: newDir() }), h.deps)
    await h.stderr.waitFor(/data in/)
    h.signal('SIGINT')
    await run
    for (const s of fake.spawned) assert.notEqual(s.child.exit, undefined, `${s.name} still runs`)
  })

  it('SIGKILLs a child that outlives the grace period', async () => {
    const fake = fakeProcesses({ deaf: 'x' })
    const children = [fake.spawn('x', ['broker', '--port', '0'], '/dev/null'), fake.spawn('y', ['broker', '--port', '0'], '/dev/null')]
    await stopChildren(children, systemClock(), 100)
    assert.deepEqual(children.map((c) => c.exit), [{ code: null, signal: 'SIGKILL' }, { code: 0, signal: null }])
    assert.deepEqual(fake.events.filter((e) => !e.startsWith('spawn')), ['SIGTERM x', 'SIGTERM y', 'SIGKILL x', 'SIGKILL y'])
  })

  it('validates its options and the nodes\' config before starting anything', async () => {
    assert.throws(() => parseClusterOptions({ zones: '27', nodesPerZone: '1', partitions: '1', readyTimeout: '1s' }), /--zones must be a whole number in \[1, 26\]/)
    assert.throws(() => parseClusterOptions({ zones: '1', nodesPerZone: 'x', partitions: '1', readyTimeout: '1s' }), /--nodes-per-zone/)
    assert.throws(() => parseClusterOptions({ zones: '1', nodesPerZone: '1', partitions: '1', readyTimeout: 'soon' }), /--ready-timeout/)
    const fake = fakeProcesses()
    await assert.rejects(runCluster(settings({ extra: { 'live_store.max_trace_idl': '1s' } }), harness(fake.spawn).deps), /live_store\.max_trace_idl: unknown key/)
    assert.deepEqual(fake.spawned, [])
  })
})
