import { InvalidArgumentError } from '../common/errors.ts'

/**
 * Parses a trace id from a URL exactly as Tempo does (`pkg/util/traceid.go` HexStringToTraceID,
 * `pkg/api/http.go` ParseTraceID): hex digits only (either case), an odd length gets a leading
 * '0', more than 16 bytes is refused, fewer are left-padded with zero bytes to 16.
 * Every failure is an InvalidArgumentError (400) with Tempo's message.
 */
export function parseTraceId (id: string | undefined): Buffer {
  if (id === undefined || id === '') throw new InvalidArgumentError('please provide a traceID')
  let bytePos = 0
  for (const ch of id) {
    bytePos += Buffer.byteLength(ch)
    if (!isHexDigit(ch)) {
      // Go reports the 1-based byte position of the offending rune's first byte.
      const pos = bytePos - Buffer.byteLength(ch) + 1
      throw new InvalidArgumentError(`trace IDs can only contain hex characters: invalid character '${ch}' at position ${pos}`)
    }
  }
  const hex = id.length % 2 === 1 ? '0' + id : id
  if (hex.length > 32) throw new InvalidArgumentError("trace IDs can't be larger than 128 bits")
  const bytes = Buffer.from(hex, 'hex')
  if (bytes.length === 16) return bytes
  const padded = Buffer.alloc(16)
  bytes.copy(padded, 16 - bytes.length)
  return padded
}

function isHexDigit (ch: string): boolean {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')
}
