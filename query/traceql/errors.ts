import { InvalidArgumentError } from '../../common/errors.ts'

/**
 * A query that does not parse (or does not type-check). The message always has the same shape,
 * `parse error at line L col C: expected X, found Y`, so a user sees where and what was wanted;
 * the parts are also fields for callers that render their own message. It is an
 * InvalidArgumentError, so the HTTP layer answers 400.
 */
export class TraceQLParseError extends InvalidArgumentError {
  /** 0-based offset into the query text (UTF-16 code units). */
  readonly position: number
  /** 1-based. */
  readonly line: number
  /** 1-based, in UTF-16 code units from the start of the line. */
  readonly column: number
  readonly expected: string
  readonly found: string

  constructor (text: string, position: number, expected: string, found: string) {
    const { line, column } = lineAndColumn(text, position)
    super(`parse error at line ${line} col ${column}: expected ${expected}, found ${found}`)
    this.position = position
    this.line = line
    this.column = column
    this.expected = expected
    this.found = found
  }
}

export function lineAndColumn (text: string, position: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1 }
  }
  return { line, column: position - lineStart + 1 }
}
