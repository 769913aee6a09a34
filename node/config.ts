import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { brokerSchema, validateBrokerConfig } from '../broker/config.ts'
import { ConfigError } from '../common/errors.ts'
import { coerce, defaultsOf, fieldsOf, isField } from '../common/config-schema.ts'
import type { ConfigIssue, ConfigOf, Field, Schema } from '../common/config-schema.ts'
import { distributorSchema, kafkaSchema, liveStoreIngestSchema, validateKafkaConfig, validateLiveStoreIngestConfig } from '../ingest/config.ts'
import { querySchema, validateQueryConfig } from '../query/config.ts'
import { liveTracesSchema, overridesSchema, validateLiveTracesConfig, validateOverridesConfig } from '../store/config.ts'
import { blockLifecycleSchema, validateBlockLifecycleConfig } from '../wal/config.ts'
import { memberlistSchema, partitionRingSchema, ringIdentitySchema, validateRingConfig } from '../ring/config.ts'
import { serverSchema } from './server-config.ts'

/**
 * Every section of the node's config: one schema per component, composed here only. As in
 * Tempo, `multitenancy_enabled` and `http_api_prefix` are top-level keys.
 */
export const configSchema = {
  ...querySchema,
  server: serverSchema,
  distributor: distributorSchema,
  kafka: kafkaSchema,
  live_store: {
    ...liveStoreIngestSchema,
    instance_zone: ringIdentitySchema.instance_zone,
    ...liveTracesSchema,
    ...blockLifecycleSchema,
    partition_ring: partitionRingSchema,
  },
  memberlist: memberlistSchema,
  overrides: overridesSchema,
  broker: brokerSchema,
} as const satisfies Schema

export type NodeConfig = ConfigOf<typeof configSchema>

/**
 * Tempo 2.x ingester keys an operator may still have (the ingester was replaced by the
 * live-store): accepted with a deprecation warning naming the new key. A new key set in the same
 * file wins over its old name.
 */
export const DEPRECATED_KEYS: Readonly<Record<string, string>> = {
  'ingester.trace_idle_period': 'live_store.max_trace_idle',
  'ingester.max_block_bytes': 'live_store.max_block_bytes',
  'ingester.max_block_duration': 'live_store.max_block_duration',
  'ingester.complete_block_timeout': 'live_store.complete_block_timeout',
}

/** Environment variables that are not config keys but are read by the CLI itself. */
const RESERVED_ENV = new Set(['LIVESTORE_CONFIG'])

export interface ConfigSources {
  /** Path of a YAML file (Tempo-style nested snake_case keys), if any. */
  file?: string | undefined
  /** Environment; `LIVESTORE_<SECTION>_<KEY>` overrides the file, e.g. `LIVESTORE_BROKER_PORT`. */
  env?: Record<string, string | undefined>
  /** Flag overrides by dotted key (`broker.port` → `9093`); they override the environment. */
  flags?: Record<string, string>
  /** Told about accepted-but-deprecated keys (the CLI prints them). */
  warn?: (message: string) => void
}

/** The environment variable name of a dotted key: `broker.data_dir` → `LIVESTORE_BROKER_DATA_DIR`. */
export function envNameOf (key: string): string {
  return 'LIVESTORE_' + key.replace(/\./g, '_').toUpperCase()
}

/**
 * Builds the one config object: defaults ← YAML file ← environment ← flags, then validates
 * everything and throws a `ConfigError` listing every problem with its key (never just the first).
 */
export function loadConfig (sources: ConfigSources = {}): NodeConfig {
  const issues: ConfigIssue[] = []
  const config = defaultsOf(configSchema) as unknown as Record<string, unknown>
  const fields = new Map(fieldsOf(configSchema))

  const set = (given: string, raw: unknown, origin: string): void => {
    const key = DEPRECATED_KEYS[given] ?? given
    if (key !== given) sources.warn?.(`${given} (from ${origin}) is deprecated: use ${key}`)
    const spec = fields.get(key)
    if (spec === undefined) { issues.push({ key, message: `unknown key (from ${origin})` }); return }
    const r = coerce(key, spec, raw)
    if ('issue' in r) { issues.push({ ...r.issue, message: `${r.issue.message} (from ${origin})` }); return }
    assign(config, key, r.value)
  }

  if (sources.file !== undefined) {
    let doc: unknown
    try {
      doc = parseYaml(readFileSync(sources.file, 'utf8'))
    } catch (err) {
      throw new ConfigError([{ key: sources.file, message: `cannot read config file: ${(err as Error).message}` }])
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) issues.push({ key: sources.file, message: 'the config file must be a YAML mapping' })
      else {
        const { ingester, ...rest } = doc as Record<string, unknown>
        if (ingester !== undefined) walkDeprecated(ingester, 'ingester', (k, v) => set(k, v, 'file'), issues)
        walkYaml(configSchema, rest, '', (k, v) => set(k, v, 'file'), issues)
      }
    }
  }

  const envKeys = new Map([...fields.keys(), ...Object.keys(DEPRECATED_KEYS)].map((k) => [envNameOf(k), k]))
  for (const [name, value] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith('LIVESTORE_') || value === undefined || RESERVED_ENV.has(name)) continue
    const key = envKeys.get(name)
    if (key === undefined) issues.push({ key: name, message: 'unknown environment variable (not a config key)' })
    else set(key, value, `env ${name}`)
  }

  for (const [key, value] of Object.entries(sources.flags ?? {})) set(key, value, `flag --${key}`)

  const typed = config as unknown as NodeConfig
  issues.push(
    ...validateQueryConfig(typed, '').map((i) => ({ ...i, key: i.key.replace(/^\./, '') })),
    ...validateKafkaConfig(typed.kafka),
    ...validateLiveStoreIngestConfig(typed.live_store),
    ...validateLiveTracesConfig(typed.live_store),
    ...validateRingConfig({ ...typed.memberlist, ...typed.live_store.partition_ring, instance_id: typed.live_store.instance_id, instance_zone: typed.live_store.instance_zone, partitions: [] }, 'live_store.partition_ring')
      .map((i) => ({ ...i, key: i.key.replace(/^live_store\.partition_ring\.(tombstone_horizon|departure_horizon|anti_entropy_interval|max_clock_skew|join_members)/, 'memberlist.$1') })),
    ...(typed.memberlist.enabled && typed.live_store.instance_id === '' ? [{ key: 'live_store.instance_id', message: 'must be set when memberlist.enabled (the node\'s id in the ring)' }] : []),
    ...validateBlockLifecycleConfig(typed.live_store),
    ...validateOverridesConfig(typed.overrides),
    ...validateBrokerConfig(typed.broker),
  )
  if (issues.length > 0) throw new ConfigError(issues)
  return deepFreeze(typed)
}

/** The `ingester:` mapping of a Tempo 2.x file: only the keys DEPRECATED_KEYS knows. */
function walkDeprecated (doc: unknown, section: string, set: (key: string, value: unknown) => void, issues: ConfigIssue[]): void {
  if (doc === null) return
  if (typeof doc !== 'object' || Array.isArray(doc)) { issues.push({ key: section, message: 'must be a mapping (from file)' }); return }
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const key = `${section}.${k}`
    if (DEPRECATED_KEYS[key] === undefined) issues.push({ key, message: `unknown key (from file); of the Tempo 2.x ingester keys only ${Object.keys(DEPRECATED_KEYS).join(', ')} are accepted` })
    else set(key, v)
  }
}

function walkYaml (schema: Schema, doc: Record<string, unknown>, prefix: string, set: (key: string, value: unknown) => void, issues: ConfigIssue[]): void {
  for (const [k, v] of Object.entries(doc)) {
    const key = prefix + k
    const spec: Field | Schema | undefined = schema[k]
    if (spec === undefined) issues.push({ key, message: 'unknown key (from file)' })
    else if (isField(spec)) set(key, v)
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) walkYaml(spec, v as Record<string, unknown>, key + '.', set, issues)
    else if (v !== null) issues.push({ key, message: 'must be a mapping (from file)' })
  }
}

function assign (target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.')
  let obj = target
  for (const p of parts.slice(0, -1)) obj = obj[p] as Record<string, unknown>
  obj[parts[parts.length - 1] as string] = value
}

function deepFreeze<T> (o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}
