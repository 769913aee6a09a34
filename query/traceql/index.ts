/**
 * The TraceQL front end and engine: parse (parser.ts), plan (prefilter.ts, result.ts) and run
 * (compile-*.ts over trace-view.ts). Search (query/search/) only needs compileTraceQL and the
 * CompiledSearch contract; the tag endpoints use parseTagRef.
 */
export type * from './ast.ts'
export { isTraceIntrinsic, kindName, statusName, KIND_CODES, STATUS_CODES } from './ast.ts'
export { TraceQLParseError } from './errors.ts'
export { parseTraceQL, MAX_NESTING, MAX_OPERATORS } from './parser.ts'
export { printQuery } from './printer.ts'
export { compileTraceQL, compileQuery } from './compile.ts'
export type { CompileOptions } from './compile.ts'
export { DEFAULT_MAX_REGEX_LENGTH } from './regex.ts'
export { parseTagRef } from './tag-ref.ts'
export { derivePrefilter } from './prefilter.ts'
export { ROOT_SPAN_NOT_YET_RECEIVED } from './result.ts'
