import { CorruptBlockError } from './errors.ts'
import { FORMAT_VERSION } from './format/v1.ts'

/**
 * `meta.json`: what a block holds, readable without opening the data. JSON cannot carry 64-bit
 * integers, so nanosecond times and Kafka offsets are decimal strings on disk and bigints here.
 *
 * - `startTimeUnixNano`/`endTimeUnixNano`: the block's time range as the lifecycle gave it (it
 *   clamps by ingestion slack, as Tempo does), or the span range when none was given; used for
 *   retention and for skipping blocks in searches.
 * - `spanStartTimeUnixNano`/`spanEndTimeUnixNano`: min span start and max span end of the data.
 * - `files`: size and CRC-32 of every other file, so truncation is caught at open.
 */
export const DATA_FILE = 'data.parquet'
export const BLOOM_FILE = 'bloom'
export const INDEX_FILE = 'index'
export const META_FILE = 'meta.json'
export const BLOCK_FILES = [DATA_FILE, BLOOM_FILE, INDEX_FILE] as const
export type BlockFile = typeof BLOCK_FILES[number]

export interface OffsetRange { first: bigint, last: bigint }

export interface FileInfo { size: number, crc32: number }

export interface BlockMeta {
  formatVersion: number
  blockId: string
  tenant: string
  partition: number
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  spanStartTimeUnixNano: bigint
  spanEndTimeUnixNano: bigint
  traceCount: number
  spanCount: number
  rowGroupCount: number
  offsetRange: OffsetRange
  /** Clock time (ms) when the block was written. */
  createdAtMs: number
  files: Record<BlockFile, FileInfo>
  /** Bytes of all files, meta.json included. */
  sizeBytes: number
}

export function encodeMeta (meta: BlockMeta): string {
  return JSON.stringify(meta, (_key, value: unknown) => typeof value === 'bigint' ? value.toString() : value, 2) + '\n'
}

/** Parses and validates meta.json text; every problem is a CorruptBlockError naming `path`. */
export function decodeMeta (text: string, path: string): BlockMeta {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new CorruptBlockError(path, 'meta.json is not valid JSON', { cause: err })
  }
  const bad = (what: string): CorruptBlockError => new CorruptBlockError(path, `meta.json: ${what}`)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not an object')
  const o = raw as Record<string, unknown>
  const int = (key: string): number => {
    const v = o[key]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${key} must be a non-negative integer`)
    return v
  }
  const str = (key: string, v: unknown = o[key]): string => {
    if (typeof v !== 'string' || v === '') throw bad(`${key} must be a non-empty string`)
    return v
  }
  const big = (key: string, v: unknown = o[key]): bigint => {
    if (typeof v !== 'string' || !/^-?\d{1,20}$/.test(v)) throw bad(`${key} must be a decimal integer string`)
    return BigInt(v)
  }
  const formatVersion = int('formatVersion')
  if (formatVersion !== FORMAT_VERSION) throw bad(`unsupported format version ${formatVersion} (this build reads ${FORMAT_VERSION})`)
  const offsets = o.offsetRange
  if (typeof offsets !== 'object' || offsets === null) throw bad('offsetRange missing')
  const off = offsets as Record<string, unknown>
  const filesRaw = o.files
  if (typeof filesRaw !== 'object' || filesRaw === null) throw bad('files missing')
  const files = {} as Record<BlockFile, FileInfo>
  for (const name of BLOCK_FILES) {
    const f = (filesRaw as Record<string, unknown>)[name] as Record<string, unknown> | undefined
    if (typeof f !== 'object' || f === null || !Number.isSafeInteger(f.size) || !Number.isSafeInteger(f.crc32)) throw bad(`files.${name} missing or malformed`)
    files[name] = { size: f.size as number, crc32: f.crc32 as number }
  }
  return {
    formatVersion,
    blockId: str('blockId'),
    tenant: str('tenant'),
    partition: int('partition'),
    startTimeUnixNano: big('startTimeUnixNano'),
    endTimeUnixNano: big('endTimeUnixNano'),
    spanStartTimeUnixNano: big('spanStartTimeUnixNano'),
    spanEndTimeUnixNano: big('spanEndTimeUnixNano'),
    traceCount: int('traceCount'),
    spanCount: int('spanCount'),
    rowGroupCount: int('rowGroupCount'),
    offsetRange: { first: big('offsetRange.first', off.first), last: big('offsetRange.last', off.last) },
    createdAtMs: int('createdAtMs'),
    files,
    sizeBytes: int('sizeBytes'),
  }
}
