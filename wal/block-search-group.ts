import type { FileMetaData } from 'hyparquet'
import type { RowGroupEntry } from './block-index.ts'
import type { ColumnReader } from './block-search.ts'
import type { GroupColumns } from './block-search-rows.ts'
import { CorruptBlockError } from './errors.ts'

/**
 * One row group as a search scan reads it: single columns read once each (block-search-rows.ts
 * evaluates the prefilter on them), and facts scans learn about the group (its trace count,
 * block-search-rows.ts's column facts), kept as long as the file's metadata object, i.e. while
 * the block is open: its data never changes, so a fact stays true.
 */
const factsByFile = new WeakMap<FileMetaData, Map<string, Promise<unknown>>[]>()

function groupFacts (metadata: FileMetaData, g: number): Map<string, Promise<unknown>> {
  let all = factsByFile.get(metadata)
  if (all === undefined) factsByFile.set(metadata, all = metadata.row_groups.map(() => new Map()))
  return all[g]!
}

/** Row group `g` (index entry `grp`) of a file, read through `reader`; columns costed by compressed size. */
export function groupColumns (reader: ColumnReader, metadata: FileMetaData, g: number, grp: RowGroupEntry, path: string): GroupColumns {
  const reads = new Map<string, Promise<ArrayLike<unknown>>>()
  const chunks = metadata.row_groups[g]?.columns ?? []
  const facts = groupFacts(metadata, g)
  return {
    rowCount: grp.rowCount,
    read (column) {
      let p = reads.get(column)
      if (p === undefined) {
        p = reader.read(grp.firstRow, grp.firstRow + grp.rowCount, column).then((values) => {
          if (values.length !== grp.rowCount) throw new CorruptBlockError(path, `read ${values.length} values of ${column}, expected ${grp.rowCount}`)
          return values
        })
        p.catch(() => {}) // whoever awaits it sees the error; a read nobody awaits must not reject unhandled
        reads.set(column, p)
      }
      return p
    },
    cost (column) {
      const size = chunks.find((c) => c.meta_data?.path_in_schema[0] === column)?.meta_data?.total_compressed_size
      return size === undefined ? Infinity : Number(size)
    },
    memo<T> (key: string, compute: () => Promise<T>): Promise<T> {
      let p = facts.get(key) as Promise<T> | undefined
      if (p === undefined) {
        const computed = compute()
        facts.set(key, p = computed)
        computed.catch(() => { if (facts.get(key) === computed) facts.delete(key) })
      }
      return p
    },
    peek<T> (key: string): Promise<T> | undefined {
      return facts.get(key) as Promise<T> | undefined
    },
  }
}

/** The memo key of a group's trace count (distinct trace ids). */
export const TRACE_COUNT = 'traces'

export function idAt (ids: ArrayLike<unknown>, i: number, path: string): Uint8Array {
  const v = ids[i]
  if (v instanceof Uint8Array) return v
  throw new CorruptBlockError(path, 'trace_id is not bytes')
}

function sameId (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Distinct traces among a group's rows (rows are sorted by trace id). */
export function countTraces (ids: ArrayLike<unknown>, path: string): number {
  let traces = 0
  let last: Uint8Array | null = null
  for (let i = 0; i < ids.length; i++) {
    const id = idAt(ids, i, path)
    if (last === null || (id !== last && !sameId(last, id))) traces++
    last = id
  }
  return traces
}
