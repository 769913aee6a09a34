import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Kafka } from 'kafkajs'
import { fixtureDir, fromHex } from '../../broker/protocol/fixtures/hex.ts'
import { apis } from '../../broker/protocol/apis/index.ts'
import { Writer } from '../../broker/protocol/writer.ts'
import { seededRandom } from '../../common/random.ts'
import type { Random } from '../../common/random.ts'
import { kafkaClient, repoRoot, startBroker, tempDir } from '../helpers/broker.ts'
import type { TestBroker } from '../helpers/broker.ts'

/**
 * ≥10k random and mutated frames against a live broker while a well-behaved kafkajs client keeps
 * producing and reading: the broker must stay up, count what it refused, and keep serving.
 * Seeded; set LIVESTORE_FUZZ_SEED to replay a failure.
 */
const FRAMES = 10_000
const seed = Number(process.env.LIVESTORE_FUZZ_SEED ?? Math.floor(performance.now() * 1000) % 2 ** 31)

/** Valid request bodies of every API and version, from the golden fixtures. */
function seedRequests (): { apiKey: number, version: number, body: Buffer }[] {
  const out: { apiKey: number, version: number, body: Buffer }[] = []
  for (const codec of Object.values(apis)) {
    // Topic creation and deletion are left out: random partition counts would only fill the disk.
    if (codec.name === 'CreateTopics' || codec.name === 'DeleteTopics') continue
    const dir = join(repoRoot, 'broker/protocol/fixtures', fixtureDir(codec.name))
    for (const f of readdirSync(dir)) {
      const m = /^v(\d+)_request\.hex$/.exec(f)
      if (m !== null) out.push({ apiKey: codec.apiKey, version: Number(m[1]), body: fromHex(readFileSync(join(dir, f), 'utf8')) })
    }
  }
  return out
}

function header (apiKey: number, version: number, correlationId: number): Buffer {
  return new Writer(32).int16(apiKey).int16(version).int32(correlationId).nullableString('fuzz').toBuffer()
}

function sized (payload: Buffer, declared = payload.length): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(declared, 0)
  return Buffer.concat([size, payload])
}

/** One hostile frame: garbage, a mutated valid request, a lying size prefix, or an odd header. */
function hostileFrame (rnd: Random, seeds: { apiKey: number, version: number, body: Buffer }[], i: number): Buffer {
  const s = seeds[rnd.int(seeds.length)] as { apiKey: number, version: number, body: Buffer }
  const body = Buffer.from(s.body)
  switch (rnd.int(8)) {
    case 0: return sized(Buffer.from(Array.from({ length: rnd.int(64) }, () => rnd.int(256))))
    case 1: { // flip some bytes of a valid request
      for (let k = 0; k < 1 + rnd.int(4); k++) if (body.length > 0) body[rnd.int(body.length)] = rnd.int(256)
      return sized(Buffer.concat([header(s.apiKey, s.version, i), body]))
    }
    case 2: return sized(Buffer.concat([header(s.apiKey, s.version, i), body.subarray(0, rnd.int(body.length + 1))]))
    case 3: return sized(Buffer.concat([header(rnd.int(100), rnd.int(20), i), body]))
    case 4: return sized(Buffer.concat([header(s.apiKey, s.version, i), body]), [-1, -(2 ** 31), 2 ** 31 - 1, 200 * 1024 * 1024][rnd.int(4)])
    case 5: return sized(Buffer.concat([header(s.apiKey, s.version + 10 + rnd.int(100), i), body]))
    case 6: return sized(Buffer.concat([header(s.apiKey, s.version, i), body, Buffer.alloc(rnd.int(16), 0xff)]))
    default: { // a huge array count or string length inside the body
      const b = Buffer.concat([header(s.apiKey, s.version, i), body])
      if (b.length >= 14) b.writeInt32BE(0x7ffffff0, 10 + rnd.int(Math.max(1, b.length - 13)))
      return sized(b)
    }
  }
}

async function sendOnConnection (port: number, frames: Buffer[], rnd: Random): Promise<void> {
  const socket: Socket = connect(port, '127.0.0.1')
  socket.on('error', () => undefined)
  socket.on('data', () => undefined)
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()).once('error', () => resolve()))
  for (const f of frames) {
    if (socket.destroyed) break
    // Sometimes dribble a frame byte by byte in small pieces, to exercise reassembly.
    if (rnd.int(10) === 0) for (let o = 0; o < f.length; o += 1 + rnd.int(7)) socket.write(f.subarray(o, o + 1 + rnd.int(7)))
    else socket.write(f)
  }
  await new Promise((resolve) => setTimeout(resolve, rnd.int(3)))
  socket.destroy()
}

describe('broker under fuzzed input', () => {
  const dir = tempDir('livestore-broker-fuzz-')
  let tb: TestBroker
  let kafka: Kafka

  before(async () => {
    tb = await startBroker({ data_dir: dir.path, auto_create_topics: false, max_frame_bytes: 1024 * 1024 })
    kafka = kafkaClient(tb.address)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'good', numPartitions: 1 }] })
    await admin.disconnect()
  })
  after(async () => { await tb?.stop(); dir.remove() })

  it(`stays up and keeps serving a well-behaved client (seed ${seed})`, async () => {
    const rnd = seededRandom(seed)
    const seeds = seedRequests()
    assert.ok(seeds.length > 40, 'fixtures for every API version')

    const producer = kafka.producer()
    await producer.connect()
    let goodSends = 0
    let fuzzing = true
    const goodClient = (async () => {
      while (fuzzing) {
        await producer.send({ topic: 'good', acks: -1, messages: [{ value: `ok-${goodSends}` }] })
        goodSends++
      }
    })()

    let sent = 0
    while (sent < FRAMES) {
      const batch = Array.from({ length: 1 + rnd.int(8) }, (_, k) => hostileFrame(rnd, seeds, sent + k))
      sent += batch.length
      await Promise.all([sendOnConnection(tb.port, batch, rnd), sendOnConnection(tb.port, [hostileFrame(rnd, seeds, sent++)], rnd)])
    }
    fuzzing = false
    await goodClient
    await producer.disconnect()
    assert.ok(goodSends > 0, 'the good client was served during the fuzzing')

    const metrics = await tb.registry.getSingleMetricAsString('livestore_broker_bad_requests_total')
    for (const reason of ['malformed_request', 'frame_too_large', 'negative_frame_size', 'unknown_api_key', 'unsupported_version']) {
      assert.match(metrics, new RegExp(`reason="${reason}"} [1-9]`), `${reason} counted`)
    }

    // After the storm: every acknowledged record is readable, in order.
    const consumer = kafka.consumer({ groupId: 'after-fuzz', maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'good', fromBeginning: true })
    const values: string[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${goodSends}`)), 20_000)
      void consumer.run({ eachMessage: async ({ message }) => { values.push(message.value?.toString() ?? ''); if (values.length >= goodSends) { clearTimeout(timer); resolve() } } })
    })
    await consumer.disconnect()
    assert.deepEqual(values, Array.from({ length: goodSends }, (_, i) => `ok-${i}`))
  })
})
