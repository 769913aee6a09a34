import { InvalidArgumentError, UnauthenticatedError } from './errors.ts'

/** The tenant of every request when multitenancy is off (Tempo's `single-tenant`). */
export const SINGLE_TENANT = 'single-tenant'
export const ORG_ID_HEADER = 'X-Scope-OrgID'

const MAX_TENANT_LENGTH = 150

/**
 * The tenant of a request, with Tempo's semantics: multitenancy off → always `single-tenant`
 * (the header is ignored); on → the `X-Scope-OrgID` header is required and must be a valid
 * tenant id (dskit's rules: at most 150 characters of letters, digits and `!-_.*'()`, not `.`
 * or `..`). Used by the write path and the query path alike.
 */
export function resolveTenant (header: string | undefined | null, multitenancy: boolean): string {
  if (!multitenancy) return SINGLE_TENANT
  if (header === undefined || header === null || header === '') throw new UnauthenticatedError('no org id') // dskit's exact answer
  if (header.length > MAX_TENANT_LENGTH) throw new InvalidArgumentError(`tenant ID is too long: max ${MAX_TENANT_LENGTH} characters`)
  if (header === '.' || header === '..') throw new InvalidArgumentError(`tenant ID is '.' or '..'`)
  const bad = /[^a-zA-Z0-9!\-_.*'()]/.exec(header)
  if (bad !== null) throw new InvalidArgumentError(`tenant ID '${header}' contains unsupported character '${bad[0]}'`)
  return header
}
