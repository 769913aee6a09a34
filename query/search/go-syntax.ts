/**
 * The Go parsers behind Tempo's search parameters, with Go's error texts, so a 400 says what
 * Tempo says: `strconv.ParseUint`/`ParseInt`/`Atoi`, `time.ParseDuration` and go-logfmt's decoder
 * (tempo-behaviour.md §6.1, §6.3). Each throws a plain Error with Go's message; params.ts adds
 * the `invalid <name>: ` prefix and makes it a 400.
 */

/** Go's `strconv.Quote` for the characters that can reach an error message. */
export function goQuote (s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0) as number
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (c === 7) out += '\\a'
    else if (c === 8) out += '\\b'
    else if (c === 12) out += '\\f'
    else if (c === 10) out += '\\n'
    else if (c === 13) out += '\\r'
    else if (c === 9) out += '\\t'
    else if (c === 11) out += '\\v'
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0')
    else out += ch
  }
  return out + '"'
}

/** Go's `%q` of one byte (go-logfmt's "unexpected %q"): `'='`, `'"'`. */
function quoteByte (b: number): string {
  if (b === 0x27) return "'\\''"
  if (b === 0x5c) return "'\\\\'"
  if (b >= 0x20 && b < 0x7f) return `'${String.fromCharCode(b)}'`
  return `'\\x${b.toString(16).padStart(2, '0')}'`
}

/** `strconv.ParseUint(s, 10, bits)`: digits only (no sign), at most 2^bits − 1. */
export function parseUint (s: string, bits: 32 | 64): number | bigint {
  if (!/^[0-9]+$/.test(s)) throw new Error(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`)
  const n = BigInt(s)
  if (n >= 1n << BigInt(bits)) throw new Error(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`)
  return bits === 32 ? Number(n) : n
}

/** `strconv.ParseInt(s, 10, 32)`: an optional sign and digits, within int32. */
export function parseInt32 (s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`)
  const n = BigInt(s)
  if (n < -(2n ** 31n) || n >= 2n ** 31n) throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`)
  return Number(n)
}

/** `strconv.Atoi(s)`: an int64 with an optional sign. */
export function atoi (s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`)
  const n = BigInt(s)
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`)
  return Number(n)
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
}
const MAX_DURATION = 1n << 63n

/**
 * Go's `time.ParseDuration`, in nanoseconds: `300ms`, `-1.5h`, `2h45m`, `0`; units ns, us (µs,
 * μs), ms, s, m, h; errors `time: invalid duration "x"`, `time: missing unit in duration "1"`,
 * `time: unknown unit "d" in duration "1d"`.
 */
export function parseGoDuration (orig: string): bigint {
  const invalid = (): Error => new Error(`time: invalid duration ${goQuote(orig)}`)
  let s = orig
  let neg = false
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-'
    s = s.slice(1)
  }
  if (s === '0') return 0n
  if (s === '') throw invalid()
  let total = 0n
  while (s !== '') {
    if (!/^[0-9.]/.test(s)) throw invalid()
    const whole = /^[0-9]*/.exec(s)?.[0] ?? ''
    s = s.slice(whole.length)
    let frac = ''
    if (s[0] === '.') {
      frac = /^\.([0-9]*)/.exec(s)?.[1] ?? ''
      s = s.slice(1 + frac.length)
    }
    if (whole === '' && frac === '') throw invalid()
    const unitText = /^[^0-9.]*/.exec(s)?.[0] ?? ''
    if (unitText === '') throw new Error(`time: missing unit in duration ${goQuote(orig)}`)
    s = s.slice(unitText.length)
    const unit = DURATION_UNITS[unitText]
    if (unit === undefined) throw new Error(`time: unknown unit ${goQuote(unitText)} in duration ${goQuote(orig)}`)
    const v = whole === '' ? 0n : BigInt(whole)
    if (v > MAX_DURATION / unit) throw invalid()
    let part = v * unit
    const { f, scale } = leadingFraction(frac)
    if (f > 0n) {
      // Go scales the fraction in float64 arithmetic; so do we (Number is a float64).
      part += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)))
      if (part > MAX_DURATION) throw invalid()
    }
    total += part
    if (total > MAX_DURATION) throw invalid()
  }
  if (neg) return -total
  if (total > MAX_DURATION - 1n) throw invalid()
  return total
}

/** Go's leadingFraction: the digits as an integer (stopping before it overflows) and 10^digits taken. */
function leadingFraction (digits: string): { f: bigint, scale: number } {
  let f = 0n
  let scale = 1
  for (const d of digits) {
    if (f > (MAX_DURATION - 1n) / 10n) break
    const y = f * 10n + BigInt(d)
    if (y > MAX_DURATION) break
    f = y
    scale *= 10
  }
  return { f, scale }
}

/** go-logfmt's SyntaxError text: `unexpected '='`, `unterminated quoted value`, … with the 1-based byte column. */
export class LogfmtSyntaxError extends Error {
  constructor (readonly msg: string, readonly pos: number) {
    super(`${msg} at pos ${pos}`)
  }
}

/**
 * go-logfmt's Decoder over every line of `text`: `k=v k2="v 2" flag` gives
 * [[k, v], [k2, 'v 2'], [flag, '']] in order. Keys stop at `=`, a space or a control byte; a `"`
 * in a key, a key starting with `=`, or `=`/`"` inside an unquoted value is an error, as is an
 * unterminated or badly escaped quoted value.
 */
export function decodeLogfmt (text: string): [string, string][] {
  const out: [string, string][] = []
  for (const line of text.split('\n')) decodeLine(Buffer.from(line.endsWith('\r') ? line.slice(0, -1) : line, 'utf8'), out)
  return out
}

function decodeLine (line: Buffer, out: [string, string][]): void {
  let pos = 0
  const fail = (msg: string): never => { throw new LogfmtSyntaxError(msg, pos + 1) }
  const text = (a: number, b: number): string => line.subarray(a, b).toString('utf8')
  while (pos < line.length) {
    while (pos < line.length && (line[pos] as number) <= 0x20) pos++
    if (pos >= line.length) return
    // key
    const start = pos
    while (pos < line.length) {
      const c = line[pos] as number
      if (c === 0x3d || c <= 0x20) break
      if (c === 0x22) fail(`unexpected ${quoteByte(c)}`)
      pos++
    }
    if (pos === start) fail(`unexpected ${quoteByte(0x3d)}`)
    const key = text(start, pos)
    if (key.includes('\uFFFD')) fail('invalid key')
    if (pos >= line.length || (line[pos] as number) <= 0x20) { out.push([key, '']); continue }
    pos++ // '='
    if (pos >= line.length || (line[pos] as number) <= 0x20) { out.push([key, '']); continue }
    if (line[pos] === 0x22) { out.push([key, quotedValue()]); continue }
    const vstart = pos
    while (pos < line.length) {
      const c = line[pos] as number
      if (c <= 0x20) break
      if (c === 0x3d || c === 0x22) fail(`unexpected ${quoteByte(c)}`)
      pos++
    }
    out.push([key, text(vstart, pos)])
  }

  function quotedValue (): string {
    const start = pos
    let escaped = false
    let hasEscape = false
    for (let i = pos + 1; i < line.length; i++) {
      const c = line[i] as number
      if (escaped) { escaped = false; continue }
      if (c === 0x5c) { escaped = true; hasEscape = true; continue }
      if (c !== 0x22) continue
      pos = i + 1
      const raw = text(start, pos)
      if (!hasEscape) return raw.slice(1, -1)
      try {
        return JSON.parse(raw) as string
      } catch {
        return fail('invalid quoted value')
      }
    }
    pos = line.length
    return fail('unterminated quoted value')
  }
}
