import { formatDuration } from '../common/config-schema.ts'
import type { ConfigIssue, ConfigOf } from '../common/config-schema.ts'

/**
 * The public query API's settings. In Tempo `multitenancy_enabled` and `http_api_prefix` are
 * top-level YAML keys; the cluster fan-out's settings sit under `query:` (query/cluster/).
 * node/ decides where the whole section sits.
 */
export const querySchema = {
  multitenancy_enabled: { type: 'bool', default: false, doc: 'Require `X-Scope-OrgID` on every API request (401 `no org id` without it); off, every request is tenant `single-tenant` (Tempo multitenancy_enabled).' },
  http_api_prefix: { type: 'string', default: '', allowEmpty: true, doc: 'Path prefix of the `/api/...` endpoints, e.g. `/tempo` (Tempo http_api_prefix); `/ready`, `/metrics` and `/status` are never prefixed.' },
  query: {
    preferred_zone: { type: 'string', default: '', allowEmpty: true, doc: 'Zone whose partition owners a query asks first; empty = this node\'s own zone (`live_store.instance_zone`). Other zones are asked on error or after `query.hedge_after`.' },
    hedge_after: { type: 'duration', default: 100, doc: 'When an owner has not answered a query for a partition this long, also ask the next owner (another zone); the first answer wins (read quorum 1). 0 asks every ready owner at once. Tempo hedges after 3s.' },
    trace_by_id_timeout: { type: 'duration', default: 10_000, min: 1, doc: 'Deadline of a trace-by-id query across the cluster; partitions without an answer by then count as missing (Tempo querier trace_by_id.query_timeout).' },
    partial_results: { type: 'bool', default: false, doc: 'Answer 200 with `"status":"PARTIAL"` and the missing partitions when some partition has no reachable owner, instead of failing with 500 (per request: `?partial=true` or `?partial=false`).' },
    search_timeout: { type: 'duration', default: 30_000, min: 1, doc: 'Deadline of a search, tag-names or tag-values query (Tempo querier search.query_timeout). On one node the query fails with 500 when it passes; across the cluster, partitions without an answer by then count as missing.' },
    max_concurrent_searches: { type: 'int', default: 20, min: 1, doc: 'Search, tag-names and tag-values requests this node serves at once on its public API; more get 429 `too many outstanding requests` (Tempo\'s query-frontend queue limit).' },
  },
} as const

export type QueryConfig = ConfigOf<typeof querySchema>

export function validateQueryConfig (c: QueryConfig, prefix = 'query'): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (c.http_api_prefix !== '' && !/^\/?[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(c.http_api_prefix)) {
    issues.push({ key: `${prefix}.http_api_prefix`, message: `must be a URL path such as /tempo, got ${JSON.stringify(c.http_api_prefix)}` })
  }
  if (c.query.hedge_after >= c.query.trace_by_id_timeout) {
    issues.push({ key: `${prefix}.query.hedge_after`, message: `must be shorter than query.trace_by_id_timeout (${formatDuration(c.query.trace_by_id_timeout)}), or no other owner is ever asked in time` })
  } else if (c.query.hedge_after >= c.query.search_timeout) {
    issues.push({ key: `${prefix}.query.hedge_after`, message: `must be shorter than query.search_timeout (${formatDuration(c.query.search_timeout)}), or no other owner is ever asked in time` })
  }
  return issues
}

/** `tempo`, `/tempo/` and `/tempo` all become `/tempo`; '' and `/` stay ''. */
export function normalizeApiPrefix (prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '' : '/' + trimmed
}

/** The zone a query asks first: `query.preferred_zone`, or the node's own zone when empty. */
export function resolvePreferredZone (c: QueryConfig['query'], nodeZone: string): string {
  return c.preferred_zone === '' ? nodeZone : c.preferred_zone
}
