import type { ResourceSpans, ScopeSpans, Span, TracesData } from './model.ts'

/**
 * Tempo's trace-by-id combiner (`pkg/model/trace/combine.go`): a span is kept only the first
 * time its (span id, kind) is seen, and the result is
 * sorted as `SortTrace` does (spans by start time then span id, scopes and batches by their
 * first span). Partial traces come from several tenants (`a|b`), from memory and blocks
 * (a replay after a crash may bring back spans a block already holds). One deliberate difference:
 * Tempo keeps the first part whole, duplicates included; we drop duplicates in every part, so a
 * span is returned exactly once wherever its copies came from. Inputs are shared with the store and never mutated: the result gets new shells.
 */
export function combineTraces (parts: readonly (TracesData | null)[]): TracesData | null {
  const seen = new Set<string>()
  const batches: ResourceSpans[] = []
  let any = false
  for (const part of parts) {
    if (part === null) continue
    const first = !any
    any = true
    for (const rs of part.resourceSpans) {
      const scopes: ScopeSpans[] = []
      for (const ss of rs.scopeSpans) {
        const spans = ss.spans.filter((s) => {
          const token = spanToken(s)
          if (seen.has(token)) return false
          seen.add(token)
          return true
        })
        if (spans.length > 0 || first) scopes.push({ scope: ss.scope, spans, schemaUrl: ss.schemaUrl })
      }
      if (scopes.length > 0) batches.push({ resource: rs.resource, scopeSpans: scopes, schemaUrl: rs.schemaUrl })
    }
  }
  if (!any) return null
  return { resourceSpans: sortBatches(batches) }
}

function spanToken (span: Span): string {
  return span.spanId.toString('hex') + '/' + span.kind
}

/** Sorts the (freshly made) shells in place; the span arrays are new copies, so that is safe. */
function sortBatches (batches: ResourceSpans[]): ResourceSpans[] {
  for (const rs of batches) {
    for (const ss of rs.scopeSpans) ss.spans.sort(compareSpans)
    rs.scopeSpans.sort((a, b) => compareFirst(a.spans[0], b.spans[0]))
  }
  return batches.sort((a, b) => compareFirst(a.scopeSpans[0]?.spans[0], b.scopeSpans[0]?.spans[0]))
}

function compareFirst (a: Span | undefined, b: Span | undefined): number {
  return a === undefined || b === undefined ? 0 : compareSpans(a, b)
}

function compareSpans (a: Span, b: Span): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1
  return Buffer.compare(a.spanId, b.spanId)
}
