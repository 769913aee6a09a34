/**
 * Test-only helpers for storage: valid RecordBatch v2 framing around an opaque payload, temp
 * directories, and a logger that captures what it is given. Not imported by production code.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import type { Logger } from '../../common/logger.ts'
import { ATTRIBUTES_AT, BASE_TIMESTAMP_AT, BATCH_HEADER_SIZE, BATCH_LENGTH_AT, CRC_AT, LAST_OFFSET_DELTA_AT, LOG_OVERHEAD, MAGIC_AT, MAX_TIMESTAMP_AT, RECORD_COUNT_AT } from './batch-header.ts'
import { crc32c } from '../protocol/crc32c.ts'

export interface BatchSpec {
  /** Records in the batch (lastOffsetDelta = records - 1). */
  records?: number
  baseTimestamp?: bigint
  maxTimestamp?: bigint
  /** Opaque bytes standing in for the records. */
  payload?: Buffer
  payloadBytes?: number
}

/** A RecordBatch v2 with a correct header and CRC-32C; baseOffset 0 until appended. */
export function makeBatch (spec: BatchSpec = {}): Buffer {
  const records = spec.records ?? 1
  const payload = spec.payload ?? Buffer.alloc(spec.payloadBytes ?? 20, 0x61)
  const buf = Buffer.alloc(BATCH_HEADER_SIZE + payload.length)
  buf.writeBigInt64BE(0n, 0)
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_AT)
  buf.writeInt32BE(0, 12) // partitionLeaderEpoch
  buf.writeInt8(2, MAGIC_AT)
  buf.writeInt16BE(0, ATTRIBUTES_AT)
  buf.writeInt32BE(records - 1, LAST_OFFSET_DELTA_AT)
  const ts = spec.baseTimestamp ?? 1_000n
  buf.writeBigInt64BE(ts, BASE_TIMESTAMP_AT)
  buf.writeBigInt64BE(spec.maxTimestamp ?? ts, MAX_TIMESTAMP_AT)
  buf.writeBigInt64BE(-1n, 43) // producerId
  buf.writeInt16BE(-1, 51) // producerEpoch
  buf.writeInt32BE(-1, 53) // baseSequence
  buf.writeInt32BE(records, RECORD_COUNT_AT)
  payload.copy(buf, BATCH_HEADER_SIZE)
  buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES_AT)), CRC_AT)
  return buf
}

/** Splits concatenated batches into their base offsets (for assertions). */
export function baseOffsetsOf (records: Buffer): bigint[] {
  const out: bigint[] = []
  for (let at = 0; at < records.length; at += LOG_OVERHEAD + records.readInt32BE(at + BATCH_LENGTH_AT)) {
    out.push(records.readBigInt64BE(at))
  }
  return out
}

export function tempDir (): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'storage-test-'))
  return { dir, cleanup: () => { rmSync(dir, { recursive: true, force: true }) } }
}

export interface CapturedLog { level: number, msg: string, [k: string]: unknown }

/** A pino logger that keeps every line (debug and up) in `lines`. */
export function captureLogger (): { logger: Logger, lines: CapturedLog[] } {
  const lines: CapturedLog[] = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as CapturedLog) } })
  return { logger, lines }
}
