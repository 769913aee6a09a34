import { InvalidArgumentError } from '../common/errors.ts'

export type QueryMode = 'all' | 'ingesters' | 'blocks' | 'external'
const MODES: readonly string[] = ['all', 'ingesters', 'blocks', 'external']

/** The validated parameters of a trace-by-id request (unix seconds; 0 = not given). */
export interface TraceByIdParams {
  mode: QueryMode
  start: number
  end: number
  blockStart?: string
  blockEnd?: string
}

/**
 * Tempo's `ValidateAndSanitizeRequest` (pkg/api/http.go) for `/api/traces/{id}` and
 * `/api/v2/traces/{id}`, with its messages. An empty parameter counts as absent; with
 * `mode=ingesters` nothing else is looked at, as in Tempo.
 */
export function parseTraceByIdParams (query: (name: string) => string | undefined): TraceByIdParams {
  const get = (name: string): string | undefined => {
    const v = query(name)
    return v === undefined || v === '' ? undefined : v
  }
  const modeText = get('mode') ?? 'all'
  if (!MODES.includes(modeText)) throw new InvalidArgumentError(`invalid value for mode ${modeText}`)
  const mode = modeText as QueryMode
  if (mode === 'ingesters') return { mode, start: 0, end: 0 }

  const params: TraceByIdParams = { mode, start: 0, end: 0 }
  const blockStart = get('blockStart')
  if (blockStart !== undefined) params.blockStart = parseUuid(blockStart, 'blockstart')
  const blockEnd = get('blockEnd')
  if (blockEnd !== undefined) params.blockEnd = parseUuid(blockEnd, 'blockEnd')

  const start = get('start')
  const end = get('end')
  if (start !== undefined) params.start = parseInt64(start, 'start')
  if (end !== undefined) params.end = parseInt64(end, 'end')
  if ((params.start === 0) !== (params.end === 0)) {
    throw new InvalidArgumentError('only one of start and end provided: must provide both or neither')
  }
  if (params.start !== 0 && params.end <= params.start) {
    throw new InvalidArgumentError(`http parameter start must be before end. received start=${params.start} end=${params.end}`)
  }
  return params
}

/**
 * `?partial=` (difference (d) in tempo-behaviour.md): whether missing partitions give a partial
 * answer instead of a 500. Absent or empty → the configured default (`query.partial_results`);
 * otherwise Go's `strconv.ParseBool` forms, anything else is a 400.
 */
export function parsePartialParam (text: string | undefined, fallback: boolean): boolean {
  if (text === undefined || text === '') return fallback
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  throw new InvalidArgumentError(`invalid partial: strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`)
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** Go's `strconv.ParseInt(s, 10, 64)`, with its error text after `invalid <name>: `. */
export function parseInt64 (text: string, name: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) {
    throw new InvalidArgumentError(`invalid ${name}: strconv.ParseInt: parsing ${goQuote(text)}: invalid syntax`)
  }
  const n = BigInt(text)
  if (n < INT64_MIN || n > INT64_MAX) {
    throw new InvalidArgumentError(`invalid ${name}: strconv.ParseInt: parsing ${goQuote(text)}: value out of range`)
  }
  return Number(n)
}

/** The forms google/uuid's Parse accepts; returns the text unchanged when valid. */
function parseUuid (text: string, name: string): string {
  const bare = /^(urn:uuid:|\{)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i
  const ok = (text.length === 32 && /^[0-9a-f]{32}$/i.test(text)) ||
    ((text.length === 36 || text.length === 38 || text.length === 45) && bare.test(text) &&
      (text.length !== 38 || (text.startsWith('{') && text.endsWith('}'))))
  if (ok) return text
  const why = [32, 36, 38, 45].includes(text.length) ? 'invalid UUID format' : `invalid UUID length: ${text.length}`
  throw new InvalidArgumentError(`invalid value for ${name}: ${why}`)
}

/** Go's %q for the ASCII cases that matter in an error message. */
function goQuote (s: string): string {
  return JSON.stringify(s)
}
