/**
 * The TraceQL syntax tree: what parseTraceQL returns and compileTraceQL runs. Plain data (no
 * positions, no classes) so tests can build trees by hand, print them and compare them.
 *
 * Shape of a query (Tempo's grammar, reduced to what this engine supports):
 *
 *   query      = pipeline
 *   pipeline   = spanset ( '|' stage )*
 *   stage      = spanset | aggregate-filter | select(...)
 *   spanset    = '{' expr? '}' | spanset (&& || > >> < << ~) spanset | '(' pipeline ')'
 *
 * A parenthesised pipeline without stages is just its spanset expression, so `Pipeline` nodes
 * below the root always have at least one stage (the printer relies on it to round-trip).
 */

/** Span-level and trace-level intrinsics, named as TraceQL names them. */
export type Intrinsic =
  | 'name' | 'status' | 'statusMessage' | 'kind' | 'duration'
  | 'traceDuration' | 'rootName' | 'rootServiceName'

/** `any` is the unscoped `.key`. */
export type AttributeScope = 'span' | 'resource' | 'any'

export type FieldRef =
  | { readonly type: 'intrinsic', readonly name: Intrinsic }
  | { readonly type: 'attribute', readonly scope: AttributeScope, readonly key: string }

export type StatusName = 'error' | 'ok' | 'unset'
export type KindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer'

export type Literal =
  | { readonly type: 'string', readonly value: string }
  | { readonly type: 'int', readonly value: bigint }
  | { readonly type: 'float', readonly value: number }
  | { readonly type: 'bool', readonly value: boolean }
  /** Nanoseconds. */
  | { readonly type: 'duration', readonly value: bigint }
  | { readonly type: 'status', readonly value: StatusName }
  | { readonly type: 'kind', readonly value: KindName }
  | { readonly type: 'nil' }

export type Operand = FieldRef | Literal

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~'

/** A boolean expression inside `{ … }`. A bare operand must be boolean (`{ true }`, `{ span.flag }`). */
export type FieldExpr =
  | { readonly type: 'logical', readonly op: '&&' | '||', readonly left: FieldExpr, readonly right: FieldExpr }
  | { readonly type: 'not', readonly expr: FieldExpr }
  | { readonly type: 'compare', readonly op: CompareOp, readonly left: Operand, readonly right: Operand }
  | Operand

export type SpansetOp = '&&' | '||' | '>' | '>>' | '<' | '<<' | '~'

export type SpansetExpr =
  /** `{}` has `expr: null`. */
  | { readonly type: 'filter', readonly expr: FieldExpr | null }
  | { readonly type: 'spansetOp', readonly op: SpansetOp, readonly left: SpansetExpr, readonly right: SpansetExpr }
  | Pipeline

export type AggregateFn = 'count' | 'avg' | 'min' | 'max' | 'sum'

export type Stage =
  | { readonly type: 'spansetStage', readonly expr: SpansetExpr }
  /** `count() > 3`, `avg(duration) >= 1s`: `field` is null exactly for count. */
  | { readonly type: 'aggregate', readonly fn: AggregateFn, readonly field: FieldRef | null, readonly op: Exclude<CompareOp, '=~' | '!~'>, readonly value: Literal }
  | { readonly type: 'select', readonly fields: readonly FieldRef[] }

export interface Pipeline {
  readonly type: 'pipeline'
  readonly source: SpansetExpr
  readonly stages: readonly Stage[]
}

export type Query = Pipeline

/** OTLP StatusCode / SpanKind numbers of the enum literals (common/otlp/model.ts). */
export const STATUS_CODES: Readonly<Record<StatusName, number>> = { unset: 0, ok: 1, error: 2 }
export const KIND_CODES: Readonly<Record<KindName, number>> = {
  unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5,
}

/** The name TraceQL gives an OTLP status code, `status(7)` for codes outside the enum (as Tempo prints them). */
export function statusName (code: number): string {
  return code === 0 ? 'unset' : code === 1 ? 'ok' : code === 2 ? 'error' : `status(${code})`
}

export function kindName (code: number): string {
  const names = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']
  return names[code] ?? `kind(${code})`
}

/** Intrinsics evaluated once per trace, not per span. */
export function isTraceIntrinsic (name: Intrinsic): boolean {
  return name === 'traceDuration' || name === 'rootName' || name === 'rootServiceName'
}
