/**
 * wal/: the versioned Parquet block format (schema, writer, reader, meta, bloom filter, index).
 * The head → WAL → complete lifecycle builds on these.
 */
export { writeBlock, encodeBlock } from './block-writer.ts'
export type { BlockContent, EncodedBlock, WriteBlockInput, WriteBlockOptions } from './block-writer.ts'
export { BlockReader, openBlock } from './block-reader.ts'
export type { OpenBlockOptions, SpanFilter } from './block-reader.ts'
export { CorruptBlockError } from './errors.ts'
export { BLOCK_FILES, BLOOM_FILE, DATA_FILE, INDEX_FILE, META_FILE, decodeMeta, encodeMeta } from './meta.ts'
export type { BlockMeta, FileInfo, OffsetRange } from './meta.ts'
export { removeIncompleteBlocks, TEMP_PREFIX } from './fs-atomic.ts'
export { BloomFilter, DEFAULT_FALSE_POSITIVE_RATE } from './bloom.ts'
export { FORMAT_VERSION, COLUMNS, DEDICATED_RESOURCE, DEDICATED_SPAN } from './format/v1.ts'
export { flattenTraces, groupRecords, sortRecords } from './records.ts'
export type { SpanRecord } from './records.ts'
