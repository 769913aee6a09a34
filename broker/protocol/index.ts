/**
 * broker/protocol: bytes ↔ plain objects. The one import point for the server and handlers.
 */
export { ProtocolDecodeError, RecordBatchError } from './errors.ts'
export { Reader } from './reader.ts'
export { Writer } from './writer.ts'
export { crc32c } from './crc32c.ts'
export * from './error-codes.ts'
export * from './request-header.ts'
export * from './record-batch.ts'
export * from './apis/index.ts'
