/**
 * Fakes for the cluster fan-out tests (not used by production code): a ring view built from a
 * table, and peers that answer through the real protocol after a delay on the manual clock.
 */
import type { TracesData } from '../../common/otlp/model.ts'
import type { ManualClock } from '../../test/fakes/clock.ts'
import type { SearchAnswer, TagNamesAnswer, TagValuesAnswer } from '../search/node-answer.ts'
import { Op, decodeTraceByIdRequest, encodeTraceByIdResponse, peekOp } from './protocol.ts'
import {
  decodeSearchRequest, decodeTagNamesRequest, decodeTagValuesRequest, encodeSearchResponse, encodeTagNamesResponse, encodeTagValuesResponse,
} from './search-protocol.ts'
import type { AskFn, ClusterView, PartitionOwner, TraceAnswer } from './types.ts'

export function owner (nodeId: string, zone: string, extra: Partial<PartitionOwner> = {}): PartitionOwner {
  return { nodeId, zone, healthy: true, catchingUp: false, ...extra }
}

export function fakeView (selfId: string, preferredZone: string, table: Record<number, PartitionOwner[]>): ClusterView {
  return {
    selfId,
    preferredZone,
    partitions: () => Object.keys(table).map(Number),
    owners: (p) => table[p] ?? [],
  }
}

/**
 * How a fake peer behaves: answer (a trace, or any encoded reply) or fail after `afterMs`
 * (default 0), or never answer.
 */
export type Behaviour =
  | { answer: TraceAnswer, afterMs?: number }
  | { reply: (request: Uint8Array) => Uint8Array, afterMs?: number }
  | { fail: string, afterMs?: number }
  | { garbage: Uint8Array }
  | 'hang'

export interface AskRecord {
  nodeId: string
  at: number
  tenants: string[]
  signal: AbortSignal
  /** `aborted`: the asker gave up before the peer answered. */
  outcome: 'pending' | 'answered' | 'failed' | 'aborted'
}

export class FakePeers {
  readonly asks: AskRecord[] = []
  readonly behaviours = new Map<string, Behaviour>()

  constructor (private readonly clock: ManualClock) {}

  set (nodeId: string, b: Behaviour): this {
    this.behaviours.set(nodeId, b)
    return this
  }

  asked (): string[] { return this.asks.map((a) => a.nodeId) }

  /** True when every ask of `nodeId` was aborted before it was answered. */
  aborted (nodeId: string): boolean {
    const asks = this.asks.filter((a) => a.nodeId === nodeId)
    return asks.length > 0 && asks.every((a) => a.outcome === 'aborted')
  }

  readonly ask: AskFn = (nodeId, request, signal) => {
    const rec: AskRecord = { nodeId, at: this.clock.now(), tenants: [...tenantsOf(request)], signal, outcome: 'pending' }
    this.asks.push(rec)
    const b = this.behaviours.get(nodeId) ?? { fail: 'connection refused' }
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = (): void => {
        if (rec.outcome === 'pending') rec.outcome = 'aborted'
        reject(signal.reason)
      }
      if (signal.aborted) { onAbort(); return }
      signal.addEventListener('abort', onAbort, { once: true })
      if (b === 'hang') return
      if ('garbage' in b) { rec.outcome = 'answered'; resolve(b.garbage); return }
      const settle = (): void => {
        if (rec.outcome !== 'pending') return
        if ('fail' in b) { rec.outcome = 'failed'; reject(new Error(b.fail)); return }
        rec.outcome = 'answered'
        resolve('reply' in b ? b.reply(request) : encodeTraceByIdResponse(b.answer))
      }
      if ((b.afterMs ?? 0) === 0) settle()
      else this.clock.setTimeout(settle, b.afterMs ?? 0)
    })
  }
}

function tenantsOf (request: Uint8Array): readonly string[] {
  switch (peekOp(request)) {
    case Op.TraceById: return decodeTraceByIdRequest(request).tenants
    case Op.Search: return decodeSearchRequest(request).tenants
    case Op.TagNames: return decodeTagNamesRequest(request).tenants
    case Op.TagValues: return decodeTagValuesRequest(request).tenants
  }
}

/** A peer's search, tag names or tag values answer. */
export function searchReply (a: SearchAnswer): { reply: () => Uint8Array } {
  return { reply: () => encodeSearchResponse(a) }
}

export function tagNamesReply (a: TagNamesAnswer): { reply: () => Uint8Array } {
  return { reply: () => encodeTagNamesResponse(a) }
}

export function tagValuesReply (a: TagValuesAnswer): { reply: () => Uint8Array } {
  return { reply: () => encodeTagValuesResponse(a) }
}

export function answer (trace: TracesData | null, incomplete?: string): { answer: TraceAnswer } {
  return { answer: incomplete === undefined ? { trace } : { trace, incomplete } }
}

/** Lets pending promise reactions run. */
export function flush (): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve) })
}

/** Advances the clock `ms` in small steps, letting promises settle between them. */
export async function advance (clock: ManualClock, ms: number, step = 5): Promise<void> {
  await flush()
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done))
    await flush()
  }
}
