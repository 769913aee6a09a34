import { CorruptDataError } from '../common/errors.ts'

/**
 * A block on disk that cannot be trusted: missing or truncated files, a garbage or unsupported
 * `meta.json`, a checksum or Parquet footer that does not match. `path` names the file (or the
 * block directory) at fault, so the lifecycle can quarantine the block and log where.
 */
export class CorruptBlockError extends CorruptDataError {
  constructor (readonly path: string, reason: string, options: { cause?: unknown } = {}) {
    super(`corrupt block file ${path}: ${reason}`, options)
  }
}
