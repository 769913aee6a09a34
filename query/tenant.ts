import type { MiddlewareHandler } from 'hono'
import { InvalidArgumentError } from '../common/errors.ts'
import { ORG_ID_HEADER, SINGLE_TENANT, resolveTenant } from '../common/tenant.ts'

/** Context variables the tenant middleware sets for the query handlers. */
export interface TenantVariables {
  /** The request's tenants: sorted, distinct, never empty (one unless `a|b` was asked for). */
  tenants: string[]
}

export interface QueryEnv { Variables: TenantVariables }

/**
 * Tempo's query-side tenancy (dskit `middleware.AuthenticateUser` + `tenant.TenantIDs`):
 * multitenancy off → every request is `single-tenant` whatever it sends; on → `X-Scope-OrgID` is
 * required (401 `no org id`), may name several tenants as `a|b` (Tempo's frontend multi-tenant
 * queries, which merge the tenants' results), a `:subtenant` suffix is ignored, and each tenant
 * id must be valid (400).
 */
export function tenantMiddleware (opts: { multitenancyEnabled: boolean }): MiddlewareHandler<QueryEnv> {
  return async function tenant (c, next) {
    c.set('tenants', opts.multitenancyEnabled ? parseOrgId(c.req.header(ORG_ID_HEADER)) : [SINGLE_TENANT])
    await next()
  }
}

/** Splits and validates an `X-Scope-OrgID` value; throws UnauthenticatedError or InvalidArgumentError. */
export function parseOrgId (header: string | undefined): string[] {
  if (header === undefined || header === '' || !header.includes('|')) return [resolveTenant(trimSubtenant(header), true)]
  const tenants = header.split('|').map((part) => {
    const id = trimSubtenant(part)
    if (id === '') throw new InvalidArgumentError(`invalid org id ${JSON.stringify(header)}: empty tenant`)
    return resolveTenant(id, true)
  })
  return [...new Set(tenants)].sort()
}

function trimSubtenant (orgId: string | undefined): string | undefined {
  if (orgId === undefined) return undefined
  const i = orgId.indexOf(':')
  return i === -1 ? orgId : orgId.slice(0, i)
}
