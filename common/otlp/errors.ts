import { InvalidArgumentError } from '../errors.ts'

/**
 * A request body (OTLP protobuf or OTLP/JSON) that cannot be decoded. The message says what is
 * wrong and where: the field path in the proto's own naming (snake_case for protobuf,
 * lowerCamelCase for JSON) and, for protobuf, the byte offset, e.g.
 * `resource_spans[0].scope_spans[2].spans[5].trace_id: truncated length-delimited field at byte 812`.
 *
 * Decoders throw it deep down (where only the reason and offset are known) and every enclosing
 * message prepends its own path segment on the way up (`prependPath`), so the happy path pays
 * nothing for path tracking.
 */
export class OtlpDecodeError extends InvalidArgumentError {
  /** What is wrong, without the path. */
  readonly reason: string
  /** Byte offset in a protobuf body, -1 when not applicable (JSON). */
  readonly offset: number
  /** The field path, e.g. `resource_spans[0].scope_spans[2]`; '' at the top level. */
  path: string

  constructor (reason: string, offset = -1, path = '') {
    super(format(path, reason, offset))
    this.reason = reason
    this.offset = offset
    this.path = path
  }

  /** Adds an outer path segment (`spans[5]`, `trace_id`) and refreshes the message. */
  prependPath (segment: string): this {
    if (segment === '') return this
    this.path = this.path === '' ? segment : segment[0] === '[' || this.path[0] === '[' ? segment + this.path : segment + '.' + this.path
    this.message = format(this.path, this.reason, this.offset)
    return this
  }
}

function format (path: string, reason: string, offset: number): string {
  const at = offset >= 0 ? ` at byte ${offset}` : ''
  return path === '' ? reason + at : `${path}: ${reason}${at}`
}
