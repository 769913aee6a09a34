import { UnavailableError } from '../common/errors.ts'

/**
 * Write routing over the partition ring, Tempo's scheme (tempo-behaviour.md §3.6, dskit
 * `PartitionRing.ActivePartitionForKey`): a trace's token is FNV-1 32-bit of tenant ‖ trace id
 * (Tempo `util.TokenFor`: Go's `fnv.New32`, the tenant as UTF-8), and its partition is the owner
 * of the first ring token strictly greater than it, wrapping around (dskit `searchToken`). Only
 * ACTIVE partitions are on the router's ring, so a trace never goes to a pending (or inactive)
 * partition; dskit walks past their tokens, which lands on the same partition.
 *
 * FNV-1 mixes the last byte of a trace id only into the token's low 8 bits, so ids differing only
 * at the end share a ring segment; real trace ids are random (Tempo has the same property).
 *
 * The tokens come from `tokensOf` (the node passes ring/tokens.ts `partitionTokens`): ingest/ does
 * not import ring/ (DESIGN.md dependency rule), and tokens are a pure function of the id.
 */

/** Which partition a trace goes to. */
export type PartitionRoute = (tenant: string, traceId: Uint8Array) => number
/** A partition's ring tokens (ascending or not). */
export type TokensOf = (partition: number) => readonly number[]

const FNV32_OFFSET = 0x811c9dc5
const FNV32_PRIME = 0x01000193

function fnv1 (h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = (Math.imul(h, FNV32_PRIME) ^ (bytes[i] as number)) >>> 0
  return h
}

const encoder = new TextEncoder()

/** The ring token of a trace: FNV-1 (not 1a) 32-bit of the tenant's UTF-8 bytes, then the trace id. */
export function traceToken (tenant: string, traceId: Uint8Array): number {
  return fnv1(fnv1(FNV32_OFFSET, encoder.encode(tenant)), traceId)
}

/**
 * The token → partition lookup of one set of active partitions (immutable). A token drawn by two
 * partitions belongs to the lower id (ring/tokens.ts).
 */
export class PartitionRouter {
  /** The active partitions, ascending. */
  readonly partitions: readonly number[]
  readonly #tokens: Uint32Array
  readonly #owners: Int32Array
  #tenant: { name: string, hash: number } | undefined

  constructor (active: Iterable<number>, tokensOf: TokensOf) {
    this.partitions = [...new Set(active)].sort((a, b) => a - b)
    const entries: { token: number, partition: number }[] = []
    for (const partition of this.partitions) for (const token of tokensOf(partition)) entries.push({ token: token >>> 0, partition })
    entries.sort((a, b) => a.token - b.token || a.partition - b.partition)
    const unique = entries.filter((e, i) => i === 0 || e.token !== entries[i - 1]!.token)
    this.#tokens = Uint32Array.from(unique, (e) => e.token)
    this.#owners = Int32Array.from(unique, (e) => e.partition)
  }

  /** The partition of a trace; throws UnavailableError (503) when no partition is active. */
  partitionFor (tenant: string, traceId: Uint8Array): number {
    if (this.#tenant?.name !== tenant) this.#tenant = { name: tenant, hash: fnv1(FNV32_OFFSET, encoder.encode(tenant)) }
    return this.partitionForToken(fnv1(this.#tenant.hash, traceId))
  }

  /** The owner of the first token strictly greater than `token` (the first token after the last). */
  partitionForToken (token: number): number {
    const n = this.#tokens.length
    if (n === 0) throw new UnavailableError('no active partition in the ring: writes wait until a partition turns active')
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#tokens[mid]! > token) hi = mid
      else lo = mid + 1
    }
    return this.#owners[lo === n ? 0 : lo]!
  }
}

/**
 * The router for the ring's current active partitions, rebuilt only when that set changes; give
 * `route` to the Distributor.
 */
export class RingRouting {
  readonly #active: () => Iterable<number>
  readonly #tokensOf: TokensOf
  #key: string | undefined
  #router: PartitionRouter | undefined

  constructor (opts: { activePartitions: () => Iterable<number>, tokensOf: TokensOf }) {
    this.#active = opts.activePartitions
    this.#tokensOf = opts.tokensOf
  }

  current (): PartitionRouter {
    const active = [...new Set(this.#active())].sort((a, b) => a - b)
    const key = active.join(',')
    if (this.#router === undefined || key !== this.#key) {
      this.#router = new PartitionRouter(active, this.#tokensOf)
      this.#key = key
    }
    return this.#router
  }

  /** The Distributor's `route` dep. */
  readonly route = (): PartitionRoute => {
    const router = this.current()
    return (tenant, traceId) => router.partitionFor(tenant, traceId)
  }
}
