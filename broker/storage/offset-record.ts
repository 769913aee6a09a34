/**
 * The committed-offset log's record framing: `[u32 length][u32 CRC-32C of payload][payload]`,
 * the payload being compact JSON. A torn or corrupt record ends the valid log (everything before
 * it is whole, so recovery truncates there).
 */
import { crc32c } from '../protocol/crc32c.ts'

export const RECORD_OVERHEAD = 8
/** Far beyond any real commit; a larger length means the length itself is garbage. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024

/** One committed offset as stored: [topic, partition, offset (decimal string), metadata, commitTimestamp]. */
export type StoredEntry = [string, number, string, string | null, number]

export type OffsetRecord =
  | { k: 'commit', g: string, e: StoredEntry[] }
  | { k: 'deleteTopic', t: string }
  | { k: 'deleteGroup', g: string }

export function encodeRecord (rec: OffsetRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(rec))
  const buf = Buffer.allocUnsafe(RECORD_OVERHEAD + payload.length)
  buf.writeUInt32BE(payload.length, 0)
  buf.writeUInt32BE(crc32c(payload), 4)
  payload.copy(buf, RECORD_OVERHEAD)
  return buf
}

/** The record at `buf[at]` and its total size, or why the bytes there are not a whole valid record. */
export function decodeRecord (buf: Buffer, at: number): { record: OffsetRecord, size: number } | { problem: string } {
  const available = buf.length - at
  if (available < RECORD_OVERHEAD) return { problem: `${available} bytes left, less than a record header` }
  const length = buf.readUInt32BE(at)
  if (length > MAX_RECORD_BYTES) return { problem: `record length ${length} is implausible` }
  if (length > available - RECORD_OVERHEAD) return { problem: `record of ${length} bytes but only ${available - RECORD_OVERHEAD} left` }
  const payload = buf.subarray(at + RECORD_OVERHEAD, at + RECORD_OVERHEAD + length)
  if (crc32c(payload) !== buf.readUInt32BE(at + 4)) return { problem: 'CRC mismatch' }
  let parsed: unknown
  try { parsed = JSON.parse(payload.toString('utf8')) } catch { return { problem: 'payload is not JSON' } }
  const record = asRecord(parsed)
  if (record === null) return { problem: 'payload is not an offset record' }
  return { record, size: RECORD_OVERHEAD + length }
}

function asRecord (v: unknown): OffsetRecord | null {
  if (typeof v !== 'object' || v === null) return null
  const r = v as Record<string, unknown>
  if (r.k === 'deleteTopic' && typeof r.t === 'string') return { k: 'deleteTopic', t: r.t }
  if (r.k === 'deleteGroup' && typeof r.g === 'string') return { k: 'deleteGroup', g: r.g }
  if (r.k === 'commit' && typeof r.g === 'string' && Array.isArray(r.e) && r.e.every(isEntry)) return { k: 'commit', g: r.g, e: r.e }
  return null
}

function isEntry (e: unknown): e is StoredEntry {
  return Array.isArray(e) && e.length === 5 &&
    typeof e[0] === 'string' && Number.isInteger(e[1]) && typeof e[2] === 'string' && /^-?\d+$/.test(e[2]) &&
    (e[3] === null || typeof e[3] === 'string') && typeof e[4] === 'number'
}
