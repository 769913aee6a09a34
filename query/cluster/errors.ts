import { LiveStoreError } from '../../common/errors.ts'
import type { LiveStoreErrorOptions } from '../../common/errors.ts'
import type { MissingPartition } from './types.ts'

/**
 * An internal query message that cannot be encoded or decoded: garbage, an unknown version or
 * operation, a size above the limit. Not retriable with the same bytes; the fan-out treats it as
 * that owner failing and asks the next one.
 */
export class QueryProtocolError extends LiveStoreError {
  static override readonly code = 'query_protocol'
}

/**
 * Partitions with no reachable owner fail a query (tempo-behaviour.md §5.2, "any partition failing
 * fails the whole call"); httpStatusOf maps it to 500 like every unknown code. Retriable: an
 * owner may come back. With `partial` the query answers the rest instead (difference (d)).
 */
export class PartitionUnavailableError extends LiveStoreError {
  static override readonly code = 'partition_unavailable'
  readonly missing: readonly MissingPartition[]

  constructor (missing: readonly MissingPartition[], options: LiveStoreErrorOptions = {}) {
    super(describeMissing(missing), { retriable: true, ...options })
    this.missing = missing
  }
}

/** `partition 3 has no reachable owner (b-1: connection refused, a-1: unhealthy); partition 5 …`. */
export function describeMissing (missing: readonly MissingPartition[]): string {
  return missing.map((m) => `partition ${m.partition} has no reachable owner (${m.reason})`).join('; ')
}
