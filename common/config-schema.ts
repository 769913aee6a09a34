/**
 * Config schemas: each component declares its keys once (type, default, doc, bounds) in its own
 * `config.ts`; node/config.ts composes them, reads YAML → environment → CLI flags into one
 * validated object, and the README's reference table is printed from the same schemas
 * (`livestore config --reference`). Keys are Tempo-style snake_case; durations are written like
 * `5s`/`1m30s` and held as milliseconds, sizes as bytes (`50MiB` or a plain integer).
 */
interface FieldBase { doc: string }
export interface StringField extends FieldBase { type: 'string', default: string, allowEmpty?: boolean }
export interface IntField extends FieldBase { type: 'int', default: number, min?: number, max?: number }
export interface DurationField extends FieldBase { type: 'duration', default: number, min?: number }
export interface BytesField extends FieldBase { type: 'bytes', default: number, min?: number }
export interface BoolField extends FieldBase { type: 'bool', default: boolean }
export interface EnumField<V extends string = string> extends FieldBase { type: 'enum', values: readonly V[], default: V }
export interface ListField extends FieldBase { type: 'list', default: readonly string[] }

export type Field = StringField | IntField | DurationField | BytesField | BoolField | EnumField | ListField
export interface Schema { readonly [key: string]: Field | Schema }

/** The typed value a schema describes (durations in ms, sizes in bytes). */
export type ConfigOf<S extends Schema> = {
  -readonly [K in keyof S]: S[K] extends EnumField<infer V> ? V
    : S[K] extends StringField ? string
      : S[K] extends IntField | DurationField | BytesField ? number
        : S[K] extends BoolField ? boolean
          : S[K] extends ListField ? string[]
            : S[K] extends Schema ? ConfigOf<S[K]> : never
}

export interface ConfigIssue { key: string, message: string }

export function isField (x: Field | Schema): x is Field {
  return typeof (x as { type?: unknown }).type === 'string' && typeof (x as { doc?: unknown }).doc === 'string'
}

/** A fresh object holding every default of the schema. */
export function defaultsOf<S extends Schema> (schema: S): ConfigOf<S> {
  const out: Record<string, unknown> = {}
  for (const [k, spec] of Object.entries(schema)) {
    out[k] = isField(spec) ? (Array.isArray(spec.default) ? [...spec.default] : spec.default) : defaultsOf(spec)
  }
  return out as ConfigOf<S>
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses Go-style durations (`300ms`, `5s`, `1h30m`, `0`) into milliseconds; null if invalid. */
export function parseDuration (text: string): number | null {
  const s = text.trim()
  if (s === '0') return 0
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/.test(s)) return null
  let total = 0
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)) total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number)
  return total
}

/** Formats milliseconds the way the docs write durations (`5s`, `20m`, `13h`, `150ms`). */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0s'
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

/** Parses `52428800`, `50MiB`, `250MB`, `-1`; null if invalid. */
export function parseBytes (text: string): number | null {
  const m = /^(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim())
  if (m === null) return null
  const unit = BYTE_UNITS[(m[2] as string).toLowerCase()]
  return unit === undefined ? null : Math.round(Number(m[1]) * unit)
}

/**
 * Converts one raw value (from YAML, where it may already be a number or boolean, or from an
 * environment variable or flag, where it is a string) into the field's type, or an issue.
 */
export function coerce (key: string, spec: Field, raw: unknown): { value: unknown } | { issue: ConfigIssue } {
  const bad = (what: string): { issue: ConfigIssue } => ({ issue: { key, message: `${what}, got ${JSON.stringify(raw)}` } })
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string' && typeof raw !== 'number') return bad('must be a string')
      if (String(raw) === '' && spec.allowEmpty !== true) return bad('must not be empty')
      return { value: String(raw) }
    case 'bool':
      if (typeof raw === 'boolean') return { value: raw }
      if (raw === 'true' || raw === 'false') return { value: raw === 'true' }
      return bad('must be true or false')
    case 'enum':
      if (typeof raw === 'string' && spec.values.includes(raw)) return { value: raw }
      return bad(`must be one of ${spec.values.join(', ')}`)
    case 'list':
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return { value: [...raw] }
      if (typeof raw === 'string') return { value: raw.split(',').map((x) => x.trim()).filter((x) => x !== '') }
      return bad('must be a list of strings (or a comma-separated string)')
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN
      if (!Number.isSafeInteger(n)) return bad('must be an integer')
      if (spec.min !== undefined && n < spec.min) return bad(`must be >= ${spec.min}`)
      if (spec.max !== undefined && n > spec.max) return bad(`must be <= ${spec.max}`)
      return { value: n }
    }
    case 'duration': {
      const ms = typeof raw === 'string' ? parseDuration(raw) : raw === 0 ? 0 : null
      if (ms === null) return bad('must be a duration such as 500ms, 5s, 1m30s or 13h')
      if (spec.min !== undefined && ms < spec.min) return bad(`must be >= ${formatDuration(spec.min)}`)
      return { value: ms }
    }
    case 'bytes': {
      const b = typeof raw === 'number' && Number.isSafeInteger(raw) ? raw : typeof raw === 'string' ? parseBytes(raw) : null
      if (b === null) return bad('must be a byte size such as 1048576 or 50MiB')
      if (spec.min !== undefined && b < spec.min) return bad(`must be >= ${spec.min}`)
      return { value: b }
    }
  }
}

/** Flattens a schema into `[dotted.key, field]` pairs, in declaration order. */
export function fieldsOf (schema: Schema, prefix = ''): [string, Field][] {
  return Object.entries(schema).flatMap(([k, spec]) => isField(spec) ? [[prefix + k, spec] as [string, Field]] : fieldsOf(spec, `${prefix}${k}.`))
}
