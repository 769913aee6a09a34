/**
 * The error taxonomy (DESIGN.md "One error taxonomy, one HTTP mapping"). Every error carries a
 * stable `code`, whether retrying can help (`retriable`) and the `cause` it wraps. The HTTP layer
 * maps them to status codes in exactly one table (`httpStatusOf`); nothing else picks statuses.
 */
export interface LiveStoreErrorOptions {
  cause?: unknown
  retriable?: boolean
}

export class LiveStoreError extends Error {
  static readonly code: string = 'internal'
  readonly code: string
  readonly retriable: boolean

  constructor (message: string, options: LiveStoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    const ctor = new.target as typeof LiveStoreError
    this.name = ctor.name
    this.code = ctor.code
    this.retriable = options.retriable ?? false
  }
}

/** A caller sent something invalid; repeating it will not help. */
export class InvalidArgumentError extends LiveStoreError {
  static override readonly code = 'invalid_argument'
}

/** The configuration has problems; `issues` lists every one with its key. */
export class ConfigError extends LiveStoreError {
  static override readonly code = 'invalid_config'
  constructor (readonly issues: readonly { key: string, message: string }[]) {
    super('invalid configuration:\n' + issues.map((i) => `  - ${i.key}: ${i.message}`).join('\n'))
  }
}

/** The node (or one of its services) is starting, catching up or stopping. */
export class NotReadyError extends LiveStoreError {
  static override readonly code = 'not_ready'
  constructor (message: string, options: LiveStoreErrorOptions = {}) {
    super(message, { retriable: true, ...options })
  }
}

export class NotFoundError extends LiveStoreError {
  static override readonly code = 'not_found'
}

export class TooLargeError extends LiveStoreError {
  static override readonly code = 'too_large'
}

/** A limit (per tenant, per trace) refused the request; later requests may succeed. */
export class LimitExceededError extends LiveStoreError {
  static override readonly code = 'limit_exceeded'
  constructor (message: string, options: LiveStoreErrorOptions = {}) {
    super(message, { retriable: true, ...options })
  }
}

/** Stored data failed a checksum or format check. */
export class CorruptDataError extends LiveStoreError {
  static override readonly code = 'corrupt_data'
}

/** The request does not say who it is for (no tenant while multitenancy is on). */
export class UnauthenticatedError extends LiveStoreError {
  static override readonly code = 'unauthenticated'
}

/** A request body in a format the endpoint does not accept. */
export class UnsupportedMediaTypeError extends LiveStoreError {
  static override readonly code = 'unsupported_media_type'
}

/** The request conflicts with the current state (e.g. downscaling a partition that is not ready for it). */
export class ConflictError extends LiveStoreError {
  static override readonly code: string = 'conflict'
}

/** A dependency (Kafka, a peer) could not be reached in time. */
export class UnavailableError extends LiveStoreError {
  static override readonly code = 'unavailable'
  constructor (message: string, options: LiveStoreErrorOptions = {}) {
    super(message, { retriable: true, ...options })
  }
}

/** The one error → HTTP status table. Unknown errors are 500s. */
export function httpStatusOf (err: unknown): number {
  if (!(err instanceof LiveStoreError)) return 500
  switch (err.code) {
    case InvalidArgumentError.code: return 400
    case NotFoundError.code: return 404
    case TooLargeError.code: return 413
    case LimitExceededError.code: return 429
    case UnauthenticatedError.code: return 401
    case UnsupportedMediaTypeError.code: return 415
    case ConflictError.code: return 409
    case NotReadyError.code: return 503
    case UnavailableError.code: return 503
    default: return 500
  }
}

/** A message for logs and responses that includes the cause chain. */
export function describeError (err: unknown): string {
  const parts: string[] = []
  let e: unknown = err
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    parts.push(e instanceof Error ? e.message : String(e))
    e = e instanceof Error ? e.cause : undefined
  }
  return parts.join(': ')
}
