/**
 * Errors raised by the wire layer. Anything malformed on the wire — a read past the end, a negative
 * or oversized length, an unknown enum — surfaces as a `ProtocolDecodeError`, never as Node's
 * RangeError, so the server has exactly one error type to map to "close the connection" or
 * INVALID_REQUEST/CORRUPT_MESSAGE.
 */
import { LiveStoreError } from '../../common/errors.ts'

export class ProtocolDecodeError extends LiveStoreError {
  static override readonly code: string = 'protocol_decode'

  /** The wire field being read when decoding failed (e.g. `topics[].partitions`). */
  readonly field: string

  constructor (field: string, message: string) {
    super(`cannot decode ${field}: ${message}`)
    this.field = field
  }
}

/**
 * A record batch that cannot be accepted or read, with the Kafka error code the produce/list
 * path should answer with (CORRUPT_MESSAGE, UNSUPPORTED_FOR_MESSAGE_FORMAT,
 * UNSUPPORTED_COMPRESSION_TYPE...).
 */
export class RecordBatchError extends ProtocolDecodeError {
  static override readonly code: string = 'record_batch'

  readonly errorCode: number

  constructor (errorCode: number, message: string) {
    super('record batch', message)
    this.errorCode = errorCode
  }
}
