import { StatusCode } from '../../common/otlp/model.ts'
import type { KeyValue, Span, TracesData } from '../../common/otlp/model.ts'

export interface WaterfallOptions {
  /** Total line width in columns (default 120, at least 60 is used). */
  width?: number
  /** ANSI colours: bars coloured per service, errors in red (default false). */
  color?: boolean
}

interface Node { span: Span, service: string, children: Node[] }

const RESET = '\x1b[0m'
const RED = '\x1b[31m'
const DIM = '\x1b[2m'
const PALETTE = ['\x1b[36m', '\x1b[32m', '\x1b[33m', '\x1b[35m', '\x1b[34m', '\x1b[96m', '\x1b[92m', '\x1b[93m']
const DURATION_WIDTH = 10

/** A duration in ms with sensible precision: 0.042ms, 1.25ms, 12.5ms, 123ms. */
export function formatDuration (ns: bigint): string {
  const ms = Number(ns) / 1e6
  if (ms < 1) return `${ms.toFixed(3)}ms`
  if (ms < 10) return `${ms.toFixed(2)}ms`
  if (ms < 100) return `${ms.toFixed(1)}ms`
  return `${ms.toFixed(0)}ms`
}

function serviceOf (attrs: KeyValue[] | undefined): string {
  const a = attrs?.find((x) => x.key === 'service.name')
  return a !== undefined && a.value.kind === 'string' ? a.value.value : 'unknown_service'
}

function byStart (a: Node, b: Node): number {
  const d = a.span.startTimeUnixNano - b.span.startTimeUnixNano
  if (d !== 0n) return d < 0n ? -1 : 1
  return Buffer.compare(a.span.spanId, b.span.spanId)
}

function isRoot (span: Span): boolean {
  return span.parentSpanId.length === 0 || span.parentSpanId.every((b) => b === 0)
}

function truncate (s: string, width: number): string {
  return s.length <= width ? s.padEnd(width) : s.slice(0, width - 1) + '…'
}

/**
 * A terminal waterfall of one trace: a header, then one line per span in tree order (children
 * under their parent, by start time), indented by depth, with the service, the span name, a bar
 * on the trace's time axis and the duration. Error spans are red with colour, marked `!` without.
 * Spans whose parent is not in the trace follow under "(missing parent)".
 */
export function renderWaterfall (trace: TracesData, options: WaterfallOptions = {}): string {
  const width = Math.max(60, options.width ?? 120)
  const color = options.color ?? false
  const nodes: Node[] = []
  const services: string[] = []
  for (const rs of trace.resourceSpans) {
    const service = serviceOf(rs.resource?.attributes)
    if (!services.includes(service)) services.push(service)
    for (const ss of rs.scopeSpans) for (const span of ss.spans) nodes.push({ span, service, children: [] })
  }
  const first = nodes[0]
  if (first === undefined) return '(empty trace)\n'

  const byId = new Map<string, Node>()
  for (const n of nodes) if (!byId.has(n.span.spanId.toString('hex'))) byId.set(n.span.spanId.toString('hex'), n)
  const roots: Node[] = []
  const orphans: Node[] = []
  for (const n of nodes) {
    const parent = isRoot(n.span) ? undefined : byId.get(n.span.parentSpanId.toString('hex'))
    if (parent !== undefined && parent !== n) parent.children.push(n)
    else if (isRoot(n.span)) roots.push(n)
    else orphans.push(n)
  }

  let t0 = first.span.startTimeUnixNano
  let t1 = first.span.endTimeUnixNano
  for (const n of nodes) {
    if (n.span.startTimeUnixNano < t0) t0 = n.span.startTimeUnixNano
    if (n.span.endTimeUnixNano > t1) t1 = n.span.endTimeUnixNano
  }
  const total = t1 > t0 ? t1 - t0 : 1n
  const labelWidth = Math.floor(width * 0.4)
  const barWidth = width - 1 - labelWidth - 1 - 2 - 1 - DURATION_WIDTH

  const lines: string[] = [`trace ${first.span.traceId.toString('hex')}  ${nodes.length} spans  ${services.length} services  ${formatDuration(t1 - t0)}`]
  const visited = new Set<Node>()
  const line = (n: Node, depth: number): void => {
    if (visited.has(n)) return
    visited.add(n)
    const { span } = n
    const error = span.status.code === StatusCode.ERROR
    const start = span.startTimeUnixNano < t0 ? t0 : span.startTimeUnixNano
    const end = span.endTimeUnixNano < start ? start : span.endTimeUnixNano
    const a = Math.min(barWidth - 1, Number((start - t0) * BigInt(barWidth) / total))
    const b = Math.min(barWidth, Math.max(a + 1, Number(((end - t0) * BigInt(barWidth) + total - 1n) / total)))
    const label = truncate(`${'  '.repeat(depth)}${n.service} ${span.name}`, labelWidth)
    const bar = '█'.repeat(b - a)
    const duration = formatDuration(span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n).padStart(DURATION_WIDTH)
    if (color) {
      const hue = error ? RED : PALETTE[services.indexOf(n.service) % PALETTE.length] ?? ''
      const text = error ? `${RED}${label}${RESET}` : label
      lines.push(` ${text} ${DIM}|${RESET}${' '.repeat(a)}${hue}${bar}${RESET}${' '.repeat(barWidth - b)}${DIM}|${RESET} ${duration}`)
    } else {
      lines.push(`${error ? '!' : ' '}${label} |${' '.repeat(a)}${bar}${' '.repeat(barWidth - b)}| ${duration}`)
    }
    for (const child of n.children.sort(byStart)) line(child, depth + 1)
  }
  for (const root of roots.sort(byStart)) line(root, 0)
  // Spans in a parent cycle are reachable from nowhere: list them with the orphans.
  const orphanSet = new Set(orphans)
  const missing = [...orphans.sort(byStart), ...nodes.filter((n) => !visited.has(n) && !orphanSet.has(n))]
  if (missing.some((n) => !visited.has(n))) {
    lines.push(color ? `${DIM}(missing parent)${RESET}` : '(missing parent)')
    for (const n of missing) line(n, 0)
  }
  return lines.join('\n') + '\n'
}
