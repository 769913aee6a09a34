import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'

/**
 * The public query API's settings. In Tempo both are top-level YAML keys
 * (`multitenancy_enabled`, `http_api_prefix`); node/ decides where the section sits.
 */
export const querySchema = {
  multitenancy_enabled: { type: 'bool', default: false, doc: 'Require `X-Scope-OrgID` on every API request (401 `no org id` without it); off, every request is tenant `single-tenant` (Tempo multitenancy_enabled).' },
  http_api_prefix: { type: 'string', default: '', allowEmpty: true, doc: 'Path prefix of the `/api/...` endpoints, e.g. `/tempo` (Tempo http_api_prefix); `/ready`, `/metrics` and `/status` are never prefixed.' },
} as const

export type QueryConfig = ConfigOf<typeof querySchema>

export function validateQueryConfig (c: QueryConfig, prefix = 'query'): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (c.http_api_prefix !== '' && !/^\/?[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(c.http_api_prefix)) {
    issues.push({ key: `${prefix}.http_api_prefix`, message: `must be a URL path such as /tempo, got ${JSON.stringify(c.http_api_prefix)}` })
  }
  return issues
}

/** `tempo`, `/tempo/` and `/tempo` all become `/tempo`; '' and `/` stay ''. */
export function normalizeApiPrefix (prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '' : '/' + trimmed
}
