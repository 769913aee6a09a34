/**
 * The durable offset watermark of each partition (DESIGN.md: "commit the watermark, not the
 * position"): the lowest offset whose data is not yet durable in the local WAL. Committing it
 * instead of the consumed position is what makes a crash lose nothing: restart = load the blocks
 * on disk + replay Kafka from the watermark.
 *
 * Records are consumed in offset order per partition, so the holders (live trace segments) that
 * still keep data in memory form a FIFO per partition; a holder turns durable when its segment's
 * flush is fsynced, and the watermark is the offset of the oldest holder that is not, or the next
 * offset to consume when none is left. Durable holders are dropped from the front lazily, so each
 * costs O(1) amortised. Records that left nothing in memory (dropped, refused by a limit) need no
 * holder: they are "durable" as soon as they are consumed.
 */
export interface DurabilityHolder {
  /** True once the holder's data is fsynced in the WAL (or deliberately discarded). */
  readonly durable: boolean
}

interface PartitionMarks {
  /** The next offset to consume: everything below it was handed to the store. */
  next: bigint | undefined
  /** Offsets (ascending) of the first record each still-pending holder took from this partition. */
  readonly offsets: bigint[]
  readonly holders: DurabilityHolder[]
  head: number
}

export class PartitionWatermarks {
  readonly #partitions = new Map<number, PartitionMarks>()

  /** `holder` keeps data from record `offset` of `partition` in memory until it is durable. */
  hold (partition: number, offset: bigint, holder: DurabilityHolder): void {
    const p = this.#marks(partition)
    p.offsets.push(offset)
    p.holders.push(holder)
  }

  /** Every record of `partition` below `next` has been handed to the store. */
  consumed (partition: number, next: bigint): void {
    const p = this.#marks(partition)
    if (p.next === undefined || next > p.next) p.next = next
  }

  /**
   * The offset to commit for `partition`: the first record whose data is not durable yet, or the
   * next offset to consume; undefined before anything was consumed.
   */
  watermark (partition: number): bigint | undefined {
    const p = this.#partitions.get(partition)
    if (p === undefined) return undefined
    while (p.head < p.holders.length && p.holders[p.head]!.durable) p.head++
    if (p.head > 1024 && p.head * 2 > p.holders.length) {
      p.offsets.splice(0, p.head)
      p.holders.splice(0, p.head)
      p.head = 0
    }
    return p.head < p.holders.length ? p.offsets[p.head] : p.next
  }

  /** Holders not yet seen durable (for status and tests; counts lazily-dropped ones until a read). */
  pending (partition: number): number {
    const p = this.#partitions.get(partition)
    return p === undefined ? 0 : p.holders.length - p.head
  }

  /** Forgets a partition (its reader stopped; the next owner resumes from the committed offset). */
  forget (partition: number): void {
    this.#partitions.delete(partition)
  }

  #marks (partition: number): PartitionMarks {
    let p = this.#partitions.get(partition)
    if (p === undefined) {
      p = { next: undefined, offsets: [], holders: [], head: 0 }
      this.#partitions.set(partition, p)
    }
    return p
  }
}
