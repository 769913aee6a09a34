import { fieldsOf, formatDuration } from '../common/config-schema.ts'
import type { Field } from '../common/config-schema.ts'
import { configSchema, envNameOf } from './config.ts'

function formatDefault (f: Field): string {
  switch (f.type) {
    case 'duration': return formatDuration(f.default)
    case 'list': return f.default.length === 0 ? '[]' : f.default.join(',')
    case 'string': return f.default === '' ? '""' : f.default
    default: return String(f.default)
  }
}

/** The configuration reference as a Markdown table, printed from the schemas (README uses it). */
export function configReference (): string {
  const rows = fieldsOf(configSchema).map(([key, f]) =>
    `| \`${key}\` | ${f.type === 'enum' ? f.values.join(' \\| ') : f.type} | \`${formatDefault(f)}\` | \`${envNameOf(key)}\` | ${f.doc.replace(/\|/g, '\\|')} |`)
  return ['| key | type | default | environment | meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}
