import type { KeyValue } from '../common/otlp/model.ts'
import type { PrefilterCondition } from '../common/search/prefilter.ts'
import { attributeMeets, firstAttribute } from '../common/search/prefilter-eval.ts'
import type { GroupColumns } from './block-search-rows.ts'
import { decodeKeyValueList } from './format/values.ts'

/**
 * Attribute conditions checked on the attribute blobs of a row group's rows (block-search-rows.ts
 * runs them last, on the rows still alive), with the first-attribute rule and comparisons of
 * prefilter-eval.ts. A blob that does not contain the key's UTF-8 bytes lacks the attribute
 * (blobs are common/otlp encodings of JS strings, so valid UTF-8, and a key is stored as its
 * raw bytes), so it is not decoded; otherwise the list is decoded (span blobs once per row,
 * resource blobs once per distinct blob, their answer kept per blob).
 */
export const ATTRIBUTES = 'attributes'
export const RESOURCE_ATTRIBUTES = 'resource_attributes'

/** Whether a row whose blob checks run meets one condition (ctx: the group's blobs). */
export interface BlobCheck {
  readonly columns: readonly string[]
  test (row: number, ctx: BlobContext): boolean
}

export function blobCheck (c: PrefilterCondition): BlobCheck {
  const { field, op, value } = c
  if (field.scope === 'intrinsic') throw new Error('intrinsic conditions have columns')
  const key = field.key
  const keyBytes = Buffer.from(key, 'utf8')
  const span = (i: number, ctx: BlobContext): boolean => ctx.spanHas(i, keyBytes) && attributeMeets(op, firstAttribute(ctx.spanAttributes(i), key), value)
  // A resource blob is shared by many rows: its answer is kept per blob.
  const resource = (i: number, ctx: BlobContext): boolean => {
    const blob = ctx.resourceBlob(i)
    if (blob === undefined) return false
    const answers = ctx.answers(c)
    let met = answers.get(blob)
    if (met === undefined) {
      met = contains(blob, keyBytes) && attributeMeets(op, firstAttribute(decodeKeyValueList(blob), key), value)
      answers.set(blob, met)
    }
    return met
  }
  switch (field.scope) {
    case 'span': return { columns: [ATTRIBUTES], test: span }
    case 'resource': return { columns: [RESOURCE_ATTRIBUTES], test: resource }
    case 'any': return { columns: [ATTRIBUTES, RESOURCE_ATTRIBUTES], test: (i, ctx) => span(i, ctx) || resource(i, ctx) }
  }
}

/** Whether `needle` occurs in `hay`. */
export function contains (hay: Uint8Array, needle: Uint8Array): boolean {
  const n = needle.length
  if (n === 0) return true
  const first = needle[0]!
  const last = hay.length - n
  let i = hay.indexOf(first)
  while (i !== -1 && i <= last) {
    let j = 1
    while (j < n && hay[i + j] === needle[j]) j++
    if (j === n) return true
    i = hay.indexOf(first, i + 1)
  }
  return false
}

const NO_BYTES = new Uint8Array(0)

/** A group's attribute blobs, read on first need, the span lists decoded so far, and answers per resource blob. */
export class BlobContext {
  #spans: ArrayLike<unknown> | undefined
  #resources: ArrayLike<unknown> | undefined
  readonly #decoded = new Map<number, KeyValue[]>()
  readonly #answers = new Map<PrefilterCondition, Map<Uint8Array, boolean>>()

  constructor (readonly group: GroupColumns) {}

  async load (columns: readonly string[]): Promise<void> {
    if (columns.includes(ATTRIBUTES) && this.#spans === undefined) this.#spans = await this.group.read(ATTRIBUTES)
    if (columns.includes(RESOURCE_ATTRIBUTES) && this.#resources === undefined) this.#resources = await this.group.read(RESOURCE_ATTRIBUTES)
  }

  #spanBlob (row: number): Uint8Array {
    const blob = this.#spans![row]
    return blob instanceof Uint8Array ? blob : NO_BYTES
  }

  spanHas (row: number, key: Uint8Array): boolean {
    return contains(this.#spanBlob(row), key)
  }

  spanAttributes (row: number): KeyValue[] {
    let attrs = this.#decoded.get(row)
    if (attrs === undefined) this.#decoded.set(row, attrs = decodeKeyValueList(this.#spanBlob(row)))
    return attrs
  }

  /** A condition's answers by resource blob, for this group. */
  answers (cond: PrefilterCondition): Map<Uint8Array, boolean> {
    let m = this.#answers.get(cond)
    if (m === undefined) this.#answers.set(cond, m = new Map())
    return m
  }

  resourceBlob (row: number): Uint8Array | undefined {
    const blob = this.#resources![row]
    return blob instanceof Uint8Array ? blob : undefined
  }
}
