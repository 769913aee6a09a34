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
}

/** The live traces of one tenant, keyed by hex trace id, with running span and byte totals. */
export class LiveTraces {
  readonly #traces = new Map<string, LiveTrace>()
  #bytes = 0
  #spans = 0

  get size (): number { return this.#traces.size }
  get bytes (): number { return this.#bytes }
  get spans (): number { return this.#spans }

  get (key: string): LiveTrace | undefined { return this.#traces.get(key) }

  create (id: Buffer, key: string, nowMs: number): LiveTrace {
    const trace: LiveTrace = { id, key, fragments: [], spans: 0, bytes: 0, createdAtMs: nowMs, lastAppendMs: nowMs }
    this.#traces.set(key, trace)
    return trace
  }

  append (trace: LiveTrace, fragment: Buffer, spans: number, nowMs: number): void {
    const bytes = fragment.length
    trace.fragments.push(fragment)
    trace.spans += spans
    trace.bytes += bytes
    if (nowMs > trace.lastAppendMs) trace.lastAppendMs = nowMs
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
}
