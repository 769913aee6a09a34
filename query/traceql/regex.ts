import { RE2JS } from 're2js'
import { InvalidArgumentError } from '../../common/errors.ts'

/** Longest regular expression a query may carry unless the caller sets another limit. */
export const DEFAULT_MAX_REGEX_LENGTH = 1000

/**
 * Compiles a TraceQL regular expression with RE2 semantics (re2js: linear-time matching, so a
 * pattern like `(a+)+$` cannot stall a query on a long attribute; JavaScript's RegExp is never
 * used on user input). Tempo matches with Prometheus's FastRegexMatcher, which wraps the pattern
 * as `^(?s:…)$`: the whole value must match and `.` also matches newlines. `testExact` with the
 * DOTALL flag is exactly that. Patterns are cached per query, so one pattern compiles once.
 */
export class RegexCompiler {
  private readonly cache = new Map<string, (s: string) => boolean>()

  constructor (private readonly maxLength: number = DEFAULT_MAX_REGEX_LENGTH) {}

  /** A full-match test; throws InvalidArgumentError for an invalid or too long pattern. */
  compile (pattern: string): (s: string) => boolean {
    const cached = this.cache.get(pattern)
    if (cached !== undefined) return cached
    if (pattern.length > this.maxLength) {
      throw new InvalidArgumentError(`regular expression is ${pattern.length} characters long; the limit is ${this.maxLength}`)
    }
    let re: RE2JS
    try {
      re = RE2JS.compile(pattern, RE2JS.DOTALL)
    } catch (err) {
      throw new InvalidArgumentError(`invalid regular expression ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    const test = (s: string): boolean => re.testExact(s)
    this.cache.set(pattern, test)
    return test
  }
}
