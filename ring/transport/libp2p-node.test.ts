// Guards the configuration against the pitfalls of measurements.md: six in-process nodes on one
// host are too few to trip libp2p's inbound rate limit (5/s per host) or gossipsub's IP
// colocation penalty (above 10 peers per IP), so the settings themselves are asserted here.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pino } from 'pino'
import { libp2pLogger } from './libp2p-logger.ts'
import { createRingLibp2p, ringLibp2pOptions } from './libp2p-node.ts'
import { generateClusterKey } from './psk.ts'

const logger = pino({ level: 'silent' })

describe('libp2p node options', async () => {
  const privateKey = await generateKeyPair('Ed25519')
  const base = { privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], topic: 't', maxMessageBytes: 1024 * 1024, logger }

  it('lets many nodes on one host connect and notices frozen peers quickly', () => {
    const o = ringLibp2pOptions({ ...base, clusterKey: generateClusterKey() })
    const cm = o.connectionManager ?? {}
    assert.ok((cm.inboundConnectionThreshold ?? 5) >= 100, 'inbound connections per second per host')
    assert.ok((cm.maxIncomingPendingConnections ?? 10) >= 64)
    assert.ok((cm.dialTimeout ?? 10_000) <= 3_000, 'a PSK mismatch must fail fast')
    assert.ok((cm.inboundUpgradeTimeout ?? 10_000) <= 3_000)
    assert.equal(cm.reconnectRetries, 0, 'the transport re-dials members itself')
    assert.ok((o.connectionMonitor?.pingInterval ?? 10_000) <= 2_000)
    assert.ok((o.connectionMonitor?.pingTimeout?.maxTimeout ?? 10_000) <= 2_000)
    assert.equal(typeof o.connectionProtector, 'function', 'a cluster key enables the private network')
    assert.equal(ringLibp2pOptions({ ...base, clusterKey: undefined }).connectionProtector, undefined)
    const tuned = ringLibp2pOptions({ ...base, clusterKey: undefined, network: { allow: ['/ip4/10.0.0.0/ipcidr/8'], dialTimeoutMs: 1_000 } })
    assert.deepEqual(tuned.connectionManager?.allow, ['/ip4/10.0.0.0/ipcidr/8'])
    assert.equal(tuned.connectionManager?.dialTimeout, 1_000)
  })

  it('gossipsub signs strictly, ignores IP colocation and bounds inbound frames', async () => {
    const node = await createRingLibp2p({ ...base, clusterKey: undefined })
    const pubsub = node.services.pubsub as unknown as {
      globalSignaturePolicy: string
      opts: { allowPublishToZeroTopicPeers: boolean, maxInboundDataLength: number, allowedTopics: string[] }
      score: { params: { IPColocationFactorWeight: number } }
    }
    assert.equal(pubsub.globalSignaturePolicy, 'StrictSign')
    assert.equal(pubsub.score.params.IPColocationFactorWeight, 0)
    assert.equal(pubsub.opts.allowPublishToZeroTopicPeers, true)
    assert.ok(pubsub.opts.maxInboundDataLength < 4 * 1024 * 1024)
    assert.deepEqual(pubsub.opts.allowedTopics, ['t'])
    assert.equal(node.peerId.toString(), peerIdFromPrivateKey(privateKey).toString())
    await node.stop()
  })

  it("routes libp2p's own logging into pino: messages at trace, its errors at debug, formatted lazily", async () => {
    const lines: { level: number, component: string, msg: string }[] = []
    const spy = pino({ level: 'trace' }, { write: (line: string) => { lines.push(JSON.parse(line) as { level: number, component: string, msg: string }) } })
    const log = libp2pLogger(spy).forComponent('libp2p:test')
    log('dialing %p at %a', 'peer-1', '/ip4/1.2.3.4/tcp/1')
    log.error('failed: %e', new Error('boom'))
    log.newScope('sub').trace('%s done', 'x')
    assert.deepEqual(lines.map((l) => [l.level, l.component, l.msg.split('\n')[0]]), [
      [10, 'libp2p:test', 'dialing peer-1 at /ip4/1.2.3.4/tcp/1'],
      [20, 'libp2p:test', 'failed: Error: boom'],
      [10, 'libp2p:test:sub', 'x done'],
    ])
    const quiet = libp2pLogger(pino({ level: 'info' })).forComponent('q')
    assert.equal(quiet.enabled, false)

    const node = await createRingLibp2p({ ...base, clusterKey: undefined, logger: spy })
    await node.start()
    await node.stop()
    assert.ok(lines.some((l) => l.component.startsWith('libp2p')), 'a real node logs through pino')
  })
})
