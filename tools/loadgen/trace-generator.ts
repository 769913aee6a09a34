import { SpanKind, StatusCode } from '../../common/otlp/model.ts'
import type { KeyValue, Span, SpanEvent, SpanLink, TracesData } from '../../common/otlp/model.ts'
import { seededRandom } from '../../common/random.ts'
import type { Random } from '../../common/random.ts'
import { bool, str } from './kv.ts'
import { groupSpans, serviceInstances } from './resources.ts'
import type { GeneratedSpan, ResourceSpec, ScopeSpec } from './resources.ts'
import { ERRORS, SERVICES, pick, pickOperation } from './services.ts'
import type { ServiceDef } from './services.ts'
import { addCall, newHandler } from './operations.ts'
import { layout } from './timing.ts'

export { groupSpans } from './resources.ts'
export type { GeneratedSpan } from './resources.ts'

export interface TraceGeneratorOptions {
  seed: number
  /** Fraction of spans with status ERROR (default 0.03). */
  errorRate?: number
  /** Spans per trace, uniformly in [minSpans, maxSpans] (default 5..40). */
  minSpans?: number
  maxSpans?: number
  /** Chance that a root or consumer span links to another trace (default 0.05). */
  linkRate?: number
}

/** A span in the making: what it is, its place in the tree and, once laid out, its timing. */
export interface SpanNode {
  svc: ServiceDef
  resource: ResourceSpec
  scope: ScopeSpec
  name: string
  kind: number
  attrs: KeyValue[]
  error: boolean
  /** A leaf's own duration, or a parent's own work before and after its children (ns). */
  selfNs: number
  children: SpanNode[]
  spanId: Buffer
  /** Set by layout: start relative to the parent's start, and duration (integer ns). */
  offsetNs: number
  durationNs: number
}

/** What operations need from the generator: randomness, ids, errors and instances. */
export interface TraceContext {
  rand: Random
  errorRate: number
  newSpanId(): Buffer
  instance(svc: ServiceDef): ResourceSpec
}

export interface GeneratedTrace { traceId: Buffer, spans: GeneratedSpan[] }

export interface TraceGenerator {
  /** The next trace, ending before `nowMs` (wall-clock ms), its spans in the order they end. */
  next(nowMs: number): GeneratedTrace
}

const MAX_CHILDREN = 8

function randomId (rand: Random, bytes: number): Buffer {
  for (;;) {
    const id = Buffer.alloc(bytes)
    for (let i = 0; i < bytes; i++) id[i] = rand.int(256)
    if (id.some((b) => b !== 0)) return id
  }
}

export function createTraceGenerator (opts: TraceGeneratorOptions): TraceGenerator {
  const rand = seededRandom(opts.seed)
  const errorRate = opts.errorRate ?? 0.03
  const minSpans = Math.max(1, opts.minSpans ?? 5)
  const maxSpans = Math.max(minSpans, opts.maxSpans ?? 40)
  const linkRate = opts.linkRate ?? 0.05
  const instances = new Map(SERVICES.map((s) => [s.name, serviceInstances(rand, s, 2)]))
  const frontend = SERVICES[0] as ServiceDef
  let previous: { traceId: Buffer, spanId: Buffer } | null = null

  return {
    next (nowMs) {
      const traceId = randomId(rand, 16)
      const used = new Set<string>()
      const ctx: TraceContext = {
        rand,
        errorRate,
        newSpanId () {
          for (;;) {
            const id = randomId(rand, 8)
            const hex = id.toString('hex')
            if (!used.has(hex)) { used.add(hex); return id }
          }
        },
        instance: (svc) => pick(rand, instances.get(svc.name) ?? []),
      }
      const target = minSpans + rand.int(maxSpans - minSpans + 1)
      const route = pick(rand, frontend.routes)
      const root = newHandler(ctx, frontend, route)
      let count = 1
      const open: SpanNode[] = [root]
      while (count < target && open.length > 0) {
        const i = rand.int(open.length)
        const node = open[i] as SpanNode
        let op = pickOperation(rand, node.svc.ops)
        if (target - count < 2) op = node.svc.ops.find((o) => o.type === 'internal') ?? op
        const added = addCall(ctx, node, op)
        count += added.count
        open.push(...added.handlers)
        if (node.children.length >= MAX_CHILDREN) open.splice(i, 1)
      }
      layout(rand, root)
      const nowNs = BigInt(Math.round(nowMs)) * 1_000_000n
      const rootStart = nowNs - BigInt(root.durationNs) - BigInt(rand.int(200_000_000))
      const spans: GeneratedSpan[] = []
      const links = (): SpanLink[] => {
        if (rand.next() >= linkRate) return []
        const other = previous ?? { traceId: randomId(rand, 16), spanId: randomId(rand, 8) }
        return [{ traceId: other.traceId, spanId: other.spanId, traceState: '', attributes: [str('link.reason', 'follows-from')], droppedAttributesCount: 0, flags: 0x101 }]
      }
      const emit = (node: SpanNode, parent: Buffer, start: bigint, remoteParent: boolean): void => {
        const end = start + BigInt(node.durationNs)
        const ex = node.error ? pick(rand, ERRORS) : null
        const span: Span = {
          traceId,
          spanId: node.spanId,
          traceState: '',
          parentSpanId: parent,
          flags: remoteParent ? 0x301 : 0x101,
          name: node.name,
          kind: node.kind,
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          attributes: node.attrs,
          droppedAttributesCount: 0,
          events: events(rand, node, start, ex),
          droppedEventsCount: 0,
          links: parent.length === 0 || node.kind === SpanKind.CONSUMER ? links() : [],
          droppedLinksCount: 0,
          status: ex !== null ? { code: StatusCode.ERROR, message: ex.message } : { code: StatusCode.UNSET, message: '' },
        }
        spans.push({ resource: node.resource, scope: node.scope, span })
        for (const child of node.children) {
          const remote = child.svc !== node.svc || child.kind === SpanKind.SERVER || child.kind === SpanKind.CONSUMER
          emit(child, node.spanId, start + BigInt(child.offsetNs), remote)
        }
      }
      emit(root, Buffer.alloc(0), rootStart, false)
      previous = { traceId, spanId: root.spanId }
      spans.sort((a, b) => a.span.endTimeUnixNano < b.span.endTimeUnixNano ? -1 : a.span.endTimeUnixNano > b.span.endTimeUnixNano ? 1 : 0)
      return { traceId, spans }
    },
  }
}

function events (rand: Random, node: SpanNode, start: bigint, ex: { type: string, message: string } | null): SpanEvent[] {
  const out: SpanEvent[] = []
  const at = (frac: number): bigint => start + BigInt(Math.floor(node.durationNs * frac))
  if (ex !== null) {
    out.push({
      timeUnixNano: at(0.8 + rand.next() * 0.2),
      name: 'exception',
      attributes: [str('exception.type', ex.type), str('exception.message', ex.message), str('exception.stacktrace', `${ex.type}: ${ex.message}\n    at ${node.name.replace(/ /g, '_')} (${node.svc.name}/handler:${10 + rand.int(300)})`), bool('exception.escaped', rand.next() < 0.5)],
      droppedAttributesCount: 0,
    })
  } else if (node.kind === SpanKind.CLIENT && node.scope.scope.name.includes('redis') && rand.next() < 0.3) {
    out.push({ timeUnixNano: at(rand.next()), name: 'cache miss', attributes: [], droppedAttributesCount: 0 })
  } else if (node.kind === SpanKind.SERVER && rand.next() < 0.1) {
    out.push({ timeUnixNano: at(rand.next() * 0.1), name: 'request received', attributes: [str('message.type', 'RECEIVED')], droppedAttributesCount: 0 })
  }
  return out
}

/** `traces` traces ending before `now` (ms), grouped by resource and scope as an SDK exports them. */
export function generateTraces (opts: TraceGeneratorOptions & { traces: number, now: number }): TracesData {
  const gen = createTraceGenerator(opts)
  const all: GeneratedSpan[] = []
  for (let i = 0; i < opts.traces; i++) all.push(...gen.next(opts.now).spans)
  return groupSpans(all)
}
