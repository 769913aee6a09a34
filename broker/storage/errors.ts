/**
 * Storage's typed errors. Each has a stable `code` so the Kafka handlers can map it to a wire
 * error code in one place (e.g. `topic_already_exists` → TOPIC_ALREADY_EXISTS (36)).
 */
import { CorruptDataError, LiveStoreError } from '../../common/errors.ts'
import type { LiveStoreErrorOptions } from '../../common/errors.ts'

export { CorruptDataError }

/** CreateTopics on a name that exists (TOPIC_ALREADY_EXISTS). */
export class TopicAlreadyExistsError extends LiveStoreError {
  static override readonly code = 'topic_already_exists'
}

/** A topic name Kafka would reject (INVALID_TOPIC_EXCEPTION). */
export class InvalidTopicError extends LiveStoreError {
  static override readonly code = 'invalid_topic'
}

/** A partition count that is not a positive integer in range (INVALID_PARTITIONS). */
export class InvalidPartitionsError extends LiveStoreError {
  static override readonly code = 'invalid_partitions'
}

/** The topic (or partition) does not exist (UNKNOWN_TOPIC_OR_PARTITION). */
export class UnknownTopicError extends LiveStoreError {
  static override readonly code = 'unknown_topic_or_partition'
}

/** A batch handed to append is not RecordBatch v2 framing (CORRUPT_MESSAGE). */
export class InvalidBatchError extends LiveStoreError {
  static override readonly code = 'invalid_batch'
}

/**
 * The disk failed (write error, fsync error). After a failed fsync the page cache state is
 * unknown (PostgreSQL's "fsyncgate"), so the log refuses further appends until reopened
 * (KAFKA_STORAGE_ERROR).
 */
export class StorageIOError extends LiveStoreError {
  static override readonly code = 'storage_io'
  constructor (message: string, options: LiveStoreErrorOptions = {}) {
    super(message, { retriable: true, ...options })
  }
}

/** The log or store was closed. */
export class StorageClosedError extends LiveStoreError {
  static override readonly code = 'storage_closed'
  constructor (message: string, options: LiveStoreErrorOptions = {}) {
    super(message, { retriable: true, ...options })
  }
}
