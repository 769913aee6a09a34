import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { fetch as fetchApi, produce as produceApi } from '../broker/protocol/apis/index.ts'
import type { FetchResponse } from '../broker/protocol/apis/index.ts'
import { readBatchHeader } from '../broker/protocol/batch-header.ts'
import { Reader } from '../broker/protocol/reader.ts'
import { encodeRequestHeader } from '../broker/protocol/request-header.ts'
import { Writer } from '../broker/protocol/writer.ts'

/**
 * A minimal pipelining Kafka client built on our own protocol codecs, for measuring what the
 * broker itself can take: requests are encoded once and re-sent, so almost no client CPU is
 * spent (kafkajs spends most of a core encoding and CRC-ing 1 KiB records in JavaScript).
 */
export class RawConnection {
  readonly #socket: Socket
  #correlation = 0
  #chunks: Buffer[] = []
  #buffered = 0
  readonly #waiting: ((frame: Buffer) => void)[] = []

  private constructor (socket: Socket) {
    this.#socket = socket
    socket.setNoDelay(true)
    socket.on('data', (d: Buffer) => this.#onData(d))
  }

  static open (port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawConnection(s)))
      s.once('error', reject)
    })
  }

  /** Encodes one request frame (size | header | body) for re-sending. */
  static frame (apiKey: number, version: number, encode: (w: Writer) => void): Buffer {
    const w = new Writer(1024)
    encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId: 0, clientId: 'raw' })
    encode(w)
    const body = w.toBuffer()
    const size = Buffer.alloc(4)
    size.writeInt32BE(body.length, 0)
    return Buffer.concat([size, body])
  }

  /** Sends a pre-encoded frame (with a fresh correlation id) and resolves with the response body. */
  request (frame: Buffer): Promise<Buffer> {
    const f = Buffer.from(frame)
    f.writeInt32BE(++this.#correlation, 8)
    return new Promise((resolve) => {
      this.#waiting.push(resolve)
      this.#socket.write(f)
    })
  }

  close (): void { this.#socket.destroy() }

  #onData (d: Buffer): void {
    this.#chunks.push(d)
    this.#buffered += d.length
    // Concatenate only once a whole response is buffered (never per chunk: that is quadratic).
    while (this.#buffered >= 4) {
      const head = this.#chunks[0] as Buffer
      const size = (head.length >= 4 ? head : Buffer.concat(this.#chunks)).readInt32BE(0)
      if (this.#buffered < 4 + size) return
      const all = this.#chunks.length === 1 ? head : Buffer.concat(this.#chunks, this.#buffered)
      const rest = all.subarray(4 + size)
      this.#chunks = rest.length > 0 ? [rest] : []
      this.#buffered = rest.length
      this.#waiting.shift()?.(all.subarray(8, 4 + size)) // skip size and correlation id
    }
  }
}

export function produceFrame (topic: string, partition: number, batch: Buffer, acks: number): Buffer {
  return RawConnection.frame(produceApi.apiKey, 7, (w) => produceApi.encodeRequest(7, {
    transactionalId: null, acks, timeoutMs: 30_000, topics: [{ name: topic, partitions: [{ partitionIndex: partition, records: batch }] }],
  }, w))
}

export function fetchFrame (topic: string, offsets: bigint[], maxBytes: number, partitionMaxBytes: number): Buffer {
  return RawConnection.frame(fetchApi.apiKey, 11, (w) => fetchApi.encodeRequest(11, {
    replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ name: topic, partitions: offsets.map((fetchOffset, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1n, partitionMaxBytes })) }],
    forgottenTopics: [], rackId: '',
  }, w))
}

/** Counts the records at or after each partition's fetch offset and advances the offsets. */
export function countFetched (body: Buffer, offsets: bigint[]): number {
  const res: FetchResponse = fetchApi.decodeResponse(11, new Reader(body))
  let n = 0
  for (const p of res.topics[0]?.partitions ?? []) {
    const records = p.records
    if (records === null || !Buffer.isBuffer(records)) continue
    for (let pos = 0; pos + 61 <= records.length;) {
      const h = readBatchHeader(records, pos)
      const end = pos + 12 + h.batchLength
      if (end > records.length) break
      const from = offsets[p.partitionIndex] as bigint
      const last = h.baseOffset + BigInt(h.lastOffsetDelta)
      if (last >= from) {
        n += Number(last - (h.baseOffset > from ? h.baseOffset : from)) + 1
        offsets[p.partitionIndex] = last + 1n
      }
      pos = end
    }
  }
  return n
}
