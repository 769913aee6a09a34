/**
 * One trace in memory (Tempo's `LiveTrace`): the protobuf fragments it arrived in (each one this
 * trace's part of a Kafka record, an ExportTraceServiceRequest), appended as they come, plus the
 * times the idle/max-live cut will need. Keeping bytes rather than decoded objects holds memory
 * near the OTLP size and keeps the garbage collector out of the ingest path (as Tempo does);
 * a trace is decoded only when it is read.
 */
export interface LiveTrace {
  readonly id: Buffer
  /** Lower-case hex of `id`. */
  readonly key: string
  /** Read-only to everyone but LiveTraces. */
  readonly fragments: Buffer[]
  spans: number
  /** Sum of the fragments' sizes. */
  bytes: number
  /** Time of the first accepted push (the record time when the caller passes one). */
  readonly createdAtMs: number
  /** Time of the last accepted push. */
  lastAppendMs: number
  /** Kafka partition of the first fragment (0 when pushed without a source, e.g. by tests). */
  readonly partition: number
  /** Offsets of the first and last fragment taken from `partition` (-1n without a source). */
  firstOffset: bigint
  lastOffset: bigint
  /** Other partitions this trace took fragments from (only after a partition-count change). */
  otherPartitions: Set<number> | undefined
  /** True once the segment is fsynced in the WAL (store/watermarks.ts DurabilityHolder). */
  durable: boolean
}

/** Where a fragment came from: its record's partition and offset. */
export interface RecordSource { partition: number, offset: bigint }

/** The live traces of one tenant, keyed by hex trace id, with running span and byte totals. */
export class LiveTraces {
  readonly #traces = new Map<string, LiveTrace>()
  #bytes = 0
  #spans = 0

  get size (): number { return this.#traces.size }
  get bytes (): number { return this.#bytes }
  get spans (): number { return this.#spans }

  get (key: string): LiveTrace | undefined { return this.#traces.get(key) }

  create (id: Buffer, key: string, nowMs: number, source: RecordSource | undefined): LiveTrace {
    const trace: LiveTrace = {
      id, key, fragments: [], spans: 0, bytes: 0, createdAtMs: nowMs, lastAppendMs: nowMs,
      partition: source?.partition ?? 0, firstOffset: source?.offset ?? -1n, lastOffset: source?.offset ?? -1n, otherPartitions: undefined, durable: false,
    }
    this.#traces.set(key, trace)
    return trace
  }

  append (trace: LiveTrace, fragment: Buffer, spans: number, nowMs: number, source: RecordSource | undefined): void {
    const bytes = fragment.length
    trace.fragments.push(fragment)
    trace.spans += spans
    trace.bytes += bytes
    if (nowMs > trace.lastAppendMs) trace.lastAppendMs = nowMs
    if (source !== undefined && source.partition === trace.partition) trace.lastOffset = source.offset
    this.#spans += spans
    this.#bytes += bytes
  }

  /** Removes a trace (for the flush to the WAL); returns it, or undefined if absent. */
  remove (key: string): LiveTrace | undefined {
    const trace = this.#traces.get(key)
    if (trace === undefined) return undefined
    this.#traces.delete(key)
    this.#spans -= trace.spans
    this.#bytes -= trace.bytes
    return trace
  }

  values (): IterableIterator<LiveTrace> { return this.#traces.values() }

  /**
   * Removes and returns the traces idle since `idleBeforeMs` (last append earlier) or created
   * before `liveBeforeMs`, or all of them when `all`; sorted by trace id bytes, as Tempo's
   * CutIdle returns them (hex order is byte order).
   */
  cut (idleBeforeMs: number, liveBeforeMs: number, all: boolean): LiveTrace[] {
    const out: LiveTrace[] = []
    for (const t of this.#traces.values()) {
      if (all || t.lastAppendMs < idleBeforeMs || t.createdAtMs < liveBeforeMs) out.push(t)
    }
    for (const t of out) this.remove(t.key)
    return out.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  }
}
