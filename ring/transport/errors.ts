/**
 * Errors raised by gossip transports (memory and libp2p alike, so callers handle one set). They
 * extend the shared taxonomy (common/errors.ts): an unreachable peer or a timeout is retriable
 * (another owner, or a later try, may answer); a message over the size limit is not. The
 * subclasses keep their parent's `code`, so the one error → HTTP table maps them unchanged
 * (503 for unavailable or stopped, 413 for too large); tell them apart with `instanceof`.
 */
import { LiveStoreError, NotReadyError, TooLargeError, UnavailableError } from '../../common/errors.ts'

/** The peer is not connected, the connection dropped mid-request, or it could not be dialled. */
export class PeerUnavailableError extends UnavailableError {
  constructor (readonly peer: string, message: string, options: { cause?: unknown } = {}) {
    super(`peer ${peer}: ${message}`, options)
  }
}

/** No answer within the request's time budget. */
export class RequestTimeoutError extends UnavailableError {
  constructor (readonly peer: string, readonly timeoutMs: number) {
    super(`peer ${peer}: no answer within ${timeoutMs} ms`)
  }
}

/**
 * The peer received the request but its handler failed (threw, or produced an answer over the
 * size limit). `remoteMessage` is the peer's own description, at most 1 KiB.
 */
export class RemoteHandlerError extends LiveStoreError {
  static override readonly code: string = 'remote_handler'

  constructor (readonly peer: string, readonly remoteMessage: string) {
    super(`peer ${peer} failed the request: ${remoteMessage}`, { retriable: true })
  }
}

/** A message (publish, request or response) is larger than the transport's `maxMessageBytes`. */
export class MessageTooLargeError extends TooLargeError {
  constructor (readonly what: string, readonly bytes: number, readonly limit: number) {
    super(`${what} of ${bytes} bytes exceeds the limit of ${limit} bytes`)
  }
}

/** The transport is not running (not started yet, or stopped). */
export class TransportStoppedError extends NotReadyError {
  constructor (operation: string) {
    super(`gossip transport is not running: cannot ${operation}`)
  }
}
