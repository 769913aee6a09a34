import type { FileHandle } from 'node:fs/promises'
import type { AsyncBuffer, Compressors } from 'hyparquet'
import type { ParquetWriteOptions } from 'hyparquet-writer'
import zstd from 'zstd-napi'
import { CorruptBlockError } from './errors.ts'

/**
 * Parquet codec plumbing: ZSTD through zstd-napi (native, the compressor hyparquet-writer's docs
 * point to for codecs beyond Snappy) in both directions, and an AsyncBuffer over an open file
 * handle so hyparquet reads only the byte ranges a query needs.
 */
type WriteCompressors = NonNullable<ParquetWriteOptions['compressors']>

export function zstdCompressors (level?: number): WriteCompressors {
  const params = level === undefined ? undefined : { compressionLevel: level }
  return { ZSTD: (input: Uint8Array) => zstd.compress(input, params) }
}

export const zstdDecompressors: Compressors = {
  ZSTD: (input: Uint8Array, outputLength: number): Uint8Array => {
    const out = zstd.decompress(input)
    if (out.length !== outputLength) throw new Error(`ZSTD page decompressed to ${out.length} bytes, expected ${outputLength}`)
    return out
  },
}

/** Byte ranges of an open file; a short read (file truncated underneath) is a CorruptBlockError. */
export function fileAsyncBuffer (fh: FileHandle, byteLength: number, path: string): AsyncBuffer {
  return {
    byteLength,
    async slice (start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? byteLength, byteLength)
      const length = Math.max(0, stop - start)
      const buf = new Uint8Array(length)
      const { bytesRead } = await fh.read(buf, 0, length, start)
      if (bytesRead !== length) throw new CorruptBlockError(path, `short read at ${start}: ${bytesRead} of ${length} bytes`)
      return buf.buffer
    },
  }
}
