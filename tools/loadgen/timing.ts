import { SpanKind } from '../../common/otlp/model.ts'
import type { Random } from '../../common/random.ts'
import type { SpanNode } from './trace-generator.ts'

/** A duration in integer nanoseconds, log-uniform in [minMs, maxMs] (many short, a few long). */
export function durationNs (rand: Random, minMs: number, maxMs: number): number {
  return Math.max(1, Math.round(Math.exp(Math.log(minMs) + (Math.log(maxMs) - Math.log(minMs)) * rand.next()) * 1e6))
}

/**
 * Lays a span tree out in time, bottom-up: a leaf lasts its own time; a client or producer wraps
 * its remote child with network latency on both sides; a handler does some work, runs its
 * children one after another (a quarter of them in parallel with the previous one), and some
 * more work. Everything is integer nanoseconds, so every child starts and ends inside its parent.
 */
export function layout (rand: Random, node: SpanNode): void {
  for (const child of node.children) layout(rand, child)
  const first = node.children[0]
  if (first === undefined) {
    node.durationNs = node.selfNs
    return
  }
  if ((node.kind === SpanKind.CLIENT || node.kind === SpanKind.PRODUCER) && node.children.length === 1) {
    first.offsetNs = durationNs(rand, 0.05, 1.5)
    node.durationNs = first.offsetNs + first.durationNs + durationNs(rand, 0.05, 1.5)
    return
  }
  let cursor = Math.round(node.selfNs * 0.4)
  let previousStart = -1
  for (const child of node.children) {
    const start = previousStart >= 0 && rand.next() < 0.25 ? previousStart + rand.int(200_000) : cursor + rand.int(300_000)
    child.offsetNs = start
    previousStart = start
    cursor = Math.max(cursor, start + child.durationNs)
  }
  node.durationNs = cursor + Math.round(node.selfNs * 0.6)
}
