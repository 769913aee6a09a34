import type { TracesData } from '../../common/otlp/model.ts'
import type { SpanPrefilter } from '../../common/search/prefilter.ts'
import type { CompiledSearch, TraceMatch } from '../search/types.ts'
import type { Query } from './ast.ts'
import { compilePipeline, usesStructure } from './compile-spanset.ts'
import type { SpanSetValue } from './compile-spanset.ts'
import { parseTraceQL } from './parser.ts'
import { derivePrefilter } from './prefilter.ts'
import { RegexCompiler } from './regex.ts'
import { buildMatch, returnedFields } from './result.ts'
import { buildTraceView } from './trace-view.ts'

export interface CompileOptions {
  /** Longest regular expression accepted (default DEFAULT_MAX_REGEX_LENGTH, 1,000 characters). */
  maxRegexLength?: number
}

/**
 * Parses, plans and compiles a TraceQL query (the whole front end in one call). Throws
 * TraceQLParseError or InvalidArgumentError (both 400s) for a query it cannot run.
 */
export function compileTraceQL (text: string, options: CompileOptions = {}): CompiledSearch {
  return compileQuery(parseTraceQL(text), text, options)
}

/**
 * Compiles an already parsed query. Everything per query happens here, once: regexes compile,
 * the tree becomes closures, the prefilter and the returned fields are derived. `match` then only
 * flattens the trace (trace-view.ts) and runs the closures over span indices.
 */
export function compileQuery (query: Query, text: string, options: CompileOptions = {}): CompiledSearch {
  const regexes = new RegexCompiler(options.maxRegexLength)
  const run = compilePipeline(query, regexes)
  const withParents = usesStructure(query)
  const fields = returnedFields(query)
  const prefilter: SpanPrefilter | undefined = derivePrefilter(query)
  return {
    query: text,
    prefilter,
    match (trace: TracesData, { spss }: { spss: number }): TraceMatch | null {
      const view = buildTraceView(trace, withParents)
      const n = view.spans.length
      if (n === 0) return null
      const all: number[] = new Array<number>(n)
      for (let i = 0; i < n; i++) all[i] = i
      const input: SpanSetValue = { spans: all, attributes: [] }
      const result = run(view, input)
      return result === null ? null : buildMatch(view, result, fields, spss)
    },
  }
}
