import type { KeyValue } from '../../common/otlp/model.ts'
import type { Pipeline, SpansetExpr, Stage } from './ast.ts'
import { aggregate, aggregateAttribute, compareAggregate } from './aggregate.ts'
import { compileFieldExpr } from './compile-filter.ts'
import { printAggregate } from './printer.ts'
import type { RegexCompiler } from './regex.ts'
import { structural, unionSorted } from './structure.ts'
import type { TraceView } from './trace-view.ts'

/**
 * A span set while a query runs: sorted span indices (never empty: Tempo drops empty sets) and
 * the span-set attributes the pipeline's aggregates added.
 */
export interface SpanSetValue {
  readonly spans: readonly number[]
  readonly attributes: readonly KeyValue[]
}

/** Evaluates one node on an input span set; null when nothing is left. */
export type SetEvaluator = (view: TraceView, input: SpanSetValue) => SpanSetValue | null

/**
 * Compiles spanset expressions and pipelines into closures, following Tempo's engine: each node
 * works on the span set its parent hands it (the whole trace at the top, the previous stage's
 * result inside a pipeline). A filter keeps the input's spans that satisfy it; `&&` needs both
 * sides non-empty and `||` one, and both return the union; structural operators return the
 * right side's spans related to the left side's. Operators build a new set from the input, so
 * aggregate attributes of a parenthesised pipeline do not survive `&&` (as in Tempo, which
 * clones the input span set there).
 */
export function compileSpanset (e: SpansetExpr, regexes: RegexCompiler): SetEvaluator {
  switch (e.type) {
    case 'pipeline': return compilePipeline(e, regexes)
    case 'filter': {
      if (e.expr === null) return (_view, input) => input
      const pred = compileFieldExpr(e.expr, regexes)
      return (view, input) => {
        const out: number[] = []
        for (const i of input.spans) if (pred(view, i)) out.push(i)
        return out.length === 0 ? null : { spans: out, attributes: input.attributes }
      }
    }
    case 'spansetOp': {
      const left = compileSpanset(e.left, regexes)
      const right = compileSpanset(e.right, regexes)
      const op = e.op
      return (view, input) => {
        const l = left(view, input)
        if (op === '&&' && l === null) return null
        const r = right(view, input)
        let spans: readonly number[]
        if (op === '&&' || op === '||') {
          if (l === null || r === null) {
            if (op === '&&') return null
            const one = l ?? r
            if (one === null) return null
            spans = one.spans
          } else {
            spans = unionSorted(l.spans, r.spans)
          }
        } else {
          if (l === null || r === null) return null
          spans = structural(op, view.parent as Int32Array, l.spans, r.spans)
        }
        return spans.length === 0 ? null : { spans, attributes: input.attributes }
      }
    }
  }
}

export function compilePipeline (p: Pipeline, regexes: RegexCompiler): SetEvaluator {
  const source = compileSpanset(p.source, regexes)
  const stages = p.stages.map((s) => compileStage(s, regexes))
  return (view, input) => {
    let current = source(view, input)
    for (let k = 0; k < stages.length && current !== null; k++) current = (stages[k] as SetEvaluator)(view, current)
    return current
  }
}

function compileStage (s: Stage, regexes: RegexCompiler): SetEvaluator {
  switch (s.type) {
    case 'spansetStage': return compileSpanset(s.expr, regexes)
    // select() only widens what is returned per span (see result.ts).
    case 'select': return (_view, input) => input
    case 'aggregate': {
      const key = printAggregate(s.fn, s.field)
      return (view, input) => {
        const value = aggregate(s.fn, s.field, view, input.spans)
        if (value === undefined || !compareAggregate(s.op, value, s.value)) return null
        return { spans: input.spans, attributes: [...input.attributes, aggregateAttribute(key, value)] }
      }
    }
  }
}

/** Whether the query needs parent links (only structural operators do). */
export function usesStructure (e: SpansetExpr | Stage): boolean {
  switch (e.type) {
    case 'pipeline': return usesStructure(e.source) || e.stages.some(usesStructure)
    case 'spansetStage': return usesStructure(e.expr)
    case 'spansetOp': return (e.op !== '&&' && e.op !== '||') || usesStructure(e.left) || usesStructure(e.right)
    default: return false
  }
}
