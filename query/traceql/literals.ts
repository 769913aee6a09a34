/**
 * Literal syntax shared by the lexer and the printer: Go-style string escapes (Tempo's lexer is
 * Go's text/scanner, so `"a\tb"`, `"\x41"`, `"\u00e9"` mean what they mean in Go) and Go's
 * duration units (Tempo parses durations with time.ParseDuration: `1h30m`, `1.5s`, `300µs`).
 */

/** Nanoseconds per unit, as time.ParseDuration knows them (both micro signs are accepted). */
export const DURATION_UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n], ['us', 1_000n], ['µs', 1_000n], ['μs', 1_000n], ['ms', 1_000_000n],
  ['s', 1_000_000_000n], ['m', 60_000_000_000n], ['h', 3_600_000_000_000n],
])

export const INT64_MIN = -(1n << 63n)
export const INT64_MAX = (1n << 63n) - 1n

/** Why an escape is invalid, and where (offset into the string body). */
export interface EscapeProblem { offset: number, found: string }

/**
 * Decodes the body of a double-quoted string (without its quotes). Returns the value, or the
 * first bad escape. A lone surrogate from `\uD800` is kept as is (the printer may emit one).
 */
export function unescapeString (body: string): { value: string } | { problem: EscapeProblem } {
  if (!body.includes('\\')) return { value: body }
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string
    if (ch !== '\\') { out += ch; continue }
    const e = body[i + 1]
    const simple = e === undefined ? undefined : SIMPLE_ESCAPES[e]
    if (simple !== undefined) { out += simple; i++; continue }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (hexLen > 0) {
      const hex = body.slice(i + 2, i + 2 + hexLen)
      const cp = /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLen ? parseInt(hex, 16) : -1
      if (cp < 0 || cp > 0x10ffff) return { problem: { offset: i, found: body.slice(i, i + 2 + hexLen) } }
      out += String.fromCodePoint(cp)
      i += 1 + hexLen
      continue
    }
    const oct = body.slice(i + 1, i + 4)
    if (/^[0-7]{3}$/.test(oct) && parseInt(oct, 8) <= 255) {
      out += String.fromCharCode(parseInt(oct, 8))
      i += 3
      continue
    }
    return { problem: { offset: i, found: body.slice(i, i + 2) } }
  }
  return { value: out }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'",
}

/** A double-quoted literal that unescapeString turns back into `s`. */
export function quoteString (s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x22) out += '\\"'
    else if (c === 0x5c) out += '\\\\'
    else if (c === 10) out += '\\n'
    else if (c === 13) out += '\\r'
    else if (c === 9) out += '\\t'
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0')
    // Lone surrogates cannot be written raw in every encoding a query travels through.
    else if (c >= 0xd800 && c <= 0xdfff && !isPairAt(s, i)) out += '\\u' + c.toString(16).padStart(4, '0')
    else if (c >= 0xd800 && c <= 0xdbff) { out += s.slice(i, i + 2); i++ } else out += s[i]
  }
  return out + '"'
}

function isPairAt (s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  if (c >= 0xd800 && c <= 0xdbff) { const d = s.charCodeAt(i + 1); return d >= 0xdc00 && d <= 0xdfff }
  return false
}

/** A float literal that lexes back as a float with the same value (never as an integer). */
export function formatFloat (x: number): string {
  if (Object.is(x, -0)) return '-0.0'
  const s = String(x)
  return /[.e]/.test(s) ? s : s + '.0'
}

/**
 * The value of one duration segment `<digits>[.<digits>]` in `unit` nanoseconds; the fraction is
 * truncated to whole nanoseconds (time.ParseDuration does the same within float precision).
 */
export function durationSegmentNanos (intPart: string, fracPart: string, unitNanos: bigint): bigint {
  let ns = BigInt(intPart === '' ? '0' : intPart) * unitNanos
  // Digits past the 20th are below a nanosecond even in hours; dropping them keeps this cheap.
  const frac = fracPart.slice(0, 20)
  if (frac !== '') ns += BigInt(frac) * unitNanos / 10n ** BigInt(frac.length)
  return ns
}
