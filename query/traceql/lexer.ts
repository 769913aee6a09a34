import { lineAndColumn, TraceQLParseError } from './errors.ts'
import { DURATION_UNITS, durationSegmentNanos, INT64_MAX, INT64_MIN, unescapeString } from './literals.ts'

/**
 * Turns query text into tokens on demand (the parser pulls them with one token of lookahead), so
 * the first error reported is the first one in the text. Attributes are single tokens: `span.`,
 * `resource.` or a bare `.` followed by a name that runs to the next operator character, so
 * dotted keys like `span.http.status_code` need no quoting; `span."a b"` quotes the rest.
 */
export type Punct =
  | '{' | '}' | '(' | ')' | ',' | '|'
  | '&&' | '||' | '!' | '=' | '!=' | '=~' | '!~' | '>' | '>=' | '>>' | '<' | '<=' | '<<' | '~'

export type Token =
  | { kind: 'punct', value: Punct, pos: number, text: string }
  | { kind: 'string', value: string, pos: number, text: string }
  | { kind: 'int', value: bigint, pos: number, text: string }
  | { kind: 'float', value: number, pos: number, text: string }
  | { kind: 'duration', value: bigint, pos: number, text: string }
  /** Identifiers, including scoped intrinsics such as `span:name` and `trace:duration`. */
  | { kind: 'ident', value: string, pos: number, text: string }
  /** `scope` is '' for the unscoped `.key`, otherwise the word before the dot (validated by the parser). */
  | { kind: 'attribute', scope: string, key: string, pos: number, text: string }
  | { kind: 'eof', pos: number, text: '' }

/** Characters that end an unquoted attribute name (Tempo's lexer stops at the same ones). */
const ATTRIBUTE_STOP = new Set(Array.from('{}()=~!<>&|^,"`', (c) => c.charCodeAt(0)))

const PUNCT2: readonly Punct[] = ['&&', '||', '!=', '=~', '!~', '>=', '>>', '<=', '<<']
const PUNCT1: readonly Punct[] = ['{', '}', '(', ')', ',', '|', '!', '=', '>', '<', '~']

export class Lexer {
  private offset = 0
  private peeked: Token | undefined

  constructor (readonly text: string) {}

  peek (): Token {
    this.peeked ??= this.scan()
    return this.peeked
  }

  next (): Token {
    const t = this.peek()
    this.peeked = undefined
    return t
  }

  /** `line L col C` of an offset, for messages that point back at an opening bracket or quote. */
  where (pos: number): string {
    const { line, column } = lineAndColumn(this.text, pos)
    return `line ${line} col ${column}`
  }

  /** Throws a parse error at `pos`. */
  fail (pos: number, expected: string, found: string): never {
    throw new TraceQLParseError(this.text, pos, expected, found)
  }

  private scan (): Token {
    const s = this.text
    while (this.offset < s.length && isSpace(s.charCodeAt(this.offset))) this.offset++
    const pos = this.offset
    if (pos >= s.length) return { kind: 'eof', pos, text: '' }
    const ch = s[pos] as string
    if (ch === '"' || ch === '`') return this.scanString(pos)
    if (isDigit(ch) || (ch === '-' && isDigit(s[pos + 1]))) return this.scanNumber(pos)
    if (ch === '.') return this.scanAttribute(pos, pos + 1, '')
    if (isIdentStart(ch)) return this.scanIdent(pos)
    for (const p of PUNCT2) {
      if (s.startsWith(p, pos)) { this.offset = pos + 2; return { kind: 'punct', value: p, pos, text: p } }
    }
    for (const p of PUNCT1) {
      if (ch === p) { this.offset = pos + 1; return { kind: 'punct', value: p, pos, text: p } }
    }
    if (ch === '&') this.fail(pos, "'&&'", "'&'")
    const cp = String.fromCodePoint(s.codePointAt(pos) as number)
    return this.fail(pos, 'a TraceQL token', describeChar(cp))
  }

  private scanString (pos: number): Token {
    const s = this.text
    const quote = s[pos] as string
    let i = pos + 1
    // Raw (backtick) strings end at the next backtick; quoted ones at the next unescaped quote.
    while (i < s.length && s[i] !== quote) i += quote === '"' && s[i] === '\\' ? 2 : 1
    if (i >= s.length) this.fail(s.length, `'${quote}' to close the string that starts at ${this.where(pos)}`, 'end of query')
    const body = s.slice(pos + 1, i)
    this.offset = i + 1
    const text = s.slice(pos, i + 1)
    if (quote === '`') return { kind: 'string', value: body, pos, text }
    const r = unescapeString(body)
    if ('problem' in r) this.fail(pos + 1 + r.problem.offset, 'a valid escape sequence', `'${r.problem.found}'`)
    return { kind: 'string', value: r.value, pos, text }
  }

  private scanNumber (pos: number): Token {
    const s = this.text
    NUMBER.lastIndex = pos
    const m = NUMBER.exec(s) as RegExpExecArray
    let end = pos + m[0].length
    const unitStart = end
    const unit = readUnit(s, end)
    if (unit === '' && !isIdentPart(s[end])) {
      this.offset = end
      const text = m[0]
      if (m[2] !== undefined || /[eE]/.test(text)) {
        const value = Number(text)
        if (!Number.isFinite(value)) this.fail(pos, 'a finite number', quoted(text))
        return { kind: 'float', value, pos, text }
      }
      // More than 20 digits cannot fit (and BigInt of a huge literal is slow): reject early.
      const value = significantDigits(m[1] as string) > 20 ? INT64_MAX + 1n : BigInt(text)
      if (value < INT64_MIN || value > INT64_MAX) this.fail(pos, 'an integer that fits in 64 bits', quoted(text))
      return { kind: 'int', value, pos, text }
    }
    // A duration: one or more <number><unit> segments, as Go's time.ParseDuration reads them.
    if (/[eE]/.test(m[0])) this.fail(unitStart, 'the end of the number (durations take no exponent)', `'${unit || s[end]}'`)
    let total = 0n
    let segment: RegExpExecArray | null = m
    let segEnd = unitStart
    for (;;) {
      const u = readUnit(s, segEnd)
      const nanos = DURATION_UNITS.get(u)
      if (nanos === undefined) this.fail(segEnd, 'a duration unit (ns, us, µs, ms, s, m, h)', describeWord(s, segEnd))
      if (significantDigits(segment[1] ?? '') > 20) this.fail(pos, 'a duration that fits in 64 bits of nanoseconds', quoted(s.slice(pos, segEnd + u.length)))
      total += durationSegmentNanos(segment[1] ?? '', segment[2] ?? '', nanos)
      end = segEnd + u.length
      SEGMENT.lastIndex = end
      segment = SEGMENT.exec(s)
      if (segment === null) break
      segEnd = end + segment[0].length
    }
    if (isIdentPart(s[end])) this.fail(end, 'the end of the duration', describeWord(s, end))
    if (s[pos] === '-') total = -total
    const text = s.slice(pos, end)
    if (total < INT64_MIN || total > INT64_MAX) this.fail(pos, 'a duration that fits in 64 bits of nanoseconds', quoted(text))
    this.offset = end
    return { kind: 'duration', value: total, pos, text }
  }

  private scanIdent (pos: number): Token {
    const s = this.text
    let i = pos + 1
    while (isIdentPart(s[i])) i++
    // Scoped intrinsics (`span:name`, `trace:duration`) are one word.
    if (s[i] === ':' && isIdentStart(s[i + 1])) {
      i += 2
      while (isIdentPart(s[i])) i++
    }
    const word = s.slice(pos, i)
    if (s[i] === '.' && !word.includes(':')) return this.scanAttribute(pos, i + 1, word)
    this.offset = i
    return { kind: 'ident', value: word, pos, text: word }
  }

  /** `nameStart` is just past the dot. */
  private scanAttribute (pos: number, nameStart: number, scope: string): Token {
    const s = this.text
    const prefix = s.slice(pos, nameStart)
    if (s[nameStart] === '"') {
      let i = nameStart + 1
      while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1
      if (i >= s.length) this.fail(s.length, `'"' to close the attribute name that starts at ${this.where(nameStart)}`, 'end of query')
      const r = unescapeString(s.slice(nameStart + 1, i))
      if ('problem' in r) this.fail(nameStart + 1 + r.problem.offset, 'a valid escape sequence', `'${r.problem.found}'`)
      this.offset = i + 1
      return { kind: 'attribute', scope, key: r.value, pos, text: s.slice(pos, i + 1) }
    }
    let i = nameStart
    while (i < s.length && isAttributeNameChar(s.charCodeAt(i))) i++
    if (i === nameStart) {
      const found = i >= s.length ? 'end of query' : isSpace(s.charCodeAt(i)) ? 'white space' : `'${s[i] as string}'`
      this.fail(i, `an attribute name after '${prefix}'`, found)
    }
    this.offset = i
    return { kind: 'attribute', scope, key: s.slice(nameStart, i), pos, text: s.slice(pos, i) }
  }
}

/** Whether an unquoted attribute name may contain this UTF-16 code unit. */
export function isAttributeNameChar (c: number): boolean {
  return !isSpace(c) && !ATTRIBUTE_STOP.has(c)
}

/** How an error message shows a token. */
export function describeToken (t: Token): string {
  if (t.kind === 'eof') return 'end of query'
  const text = t.text.length > 40 ? t.text.slice(0, 37) + '...' : t.text
  return t.kind === 'string' ? text : `'${text}'`
}

// Sticky, so they match at lastIndex without copying the rest of the query.
const NUMBER = /-?(\d+)(?:\.(\d*))?(?:[eE][+-]?\d+)?/y
const SEGMENT = /(\d+)(?:\.(\d*))?/y

function significantDigits (digits: string): number {
  let i = 0
  while (digits[i] === '0') i++
  return digits.length - i
}

/** A piece of the query for a message: quoted, and cut at 40 characters. */
function quoted (text: string): string {
  return `'${text.length > 40 ? text.slice(0, 37) + '...' : text}'`
}

function readUnit (s: string, i: number): string {
  let j = i
  while (j < s.length && isUnitChar(s[j] as string)) j++
  return s.slice(i, j)
}

function describeWord (s: string, i: number): string {
  if (i >= s.length) return 'end of query'
  let j = i
  while (j < s.length && (isIdentPart(s[j]) || isUnitChar(s[j] as string))) j++
  const word = j > i ? s.slice(i, Math.min(j, i + 40)) : s[i] as string
  return `'${word}${j > i + 40 ? '...' : ''}'`
}

function describeChar (ch: string): string {
  const c = ch.codePointAt(0) as number
  return c < 0x20 || c === 0x7f ? `character U+${c.toString(16).padStart(4, '0').toUpperCase()}` : `'${ch}'`
}

function isUnitChar (ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === 'µ' || ch === 'μ'
}

function isSpace (c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029
}

function isDigit (ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9'
}

function isIdentStart (ch: string | undefined): boolean {
  return ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_')
}

function isIdentPart (ch: string | undefined): boolean {
  return isIdentStart(ch) || isDigit(ch)
}
