import type { ConfigOf } from '../common/config-schema.ts'

/** Process-level settings (`server:` in YAML, Tempo's names). */
export const serverSchema = {
  http_listen_address: { type: 'string', default: '0.0.0.0', doc: 'Address of the HTTP server (API, /metrics, /ready).' },
  http_listen_port: { type: 'int', default: 3200, min: 0, max: 65535, doc: 'Port of the HTTP server (Tempo 3200; 0 picks a free one).' },
  log_level: { type: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'], default: 'info', doc: 'Minimum log level.' },
  graceful_shutdown_timeout: { type: 'duration', default: 30_000, min: 1, doc: 'How long a stop may take before the process exits anyway.' },
} as const

export type ServerConfig = ConfigOf<typeof serverSchema>
