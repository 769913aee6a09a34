import { InvalidArgumentError } from '../../common/errors.ts'
import type { TagRef } from '../search/types.ts'
import { TraceQLParseError } from './errors.ts'
import { Lexer } from './lexer.ts'
import { INTRINSICS } from './parser.ts'

const SCOPES: ReadonlyMap<string, TagRef['scope']> = new Map<string, TagRef['scope']>([
  ['', 'any'], ['span', 'span'], ['resource', 'resource'], ['event', 'event'], ['link', 'link'],
  ['instrumentation', 'instrumentation'],
])

/**
 * A tag name as `/api/v2/search/tag/{name}/values` takes it: one TraceQL attribute
 * (`resource.service.name`, `span.http.method`, `.foo`, `span."a b"`) or intrinsic (`name`,
 * `status`, `duration`, `span:name`, …), read with the query lexer so names mean exactly what
 * they mean in a query. Intrinsics come back under their canonical name (`span:name` → `name`).
 * Anything else is an InvalidArgumentError (400).
 */
export function parseTagRef (name: string): TagRef {
  const lex = new Lexer(name)
  let ref: TagRef | undefined
  try {
    const t = lex.next()
    if (t.kind === 'attribute') {
      const scope = SCOPES.get(t.scope)
      if (scope !== undefined) ref = { scope, name: t.key }
    } else if (t.kind === 'ident') {
      const intrinsic = INTRINSICS.get(t.value)
      if (intrinsic !== undefined) ref = { scope: 'intrinsic', name: intrinsic }
    }
    if (ref !== undefined && lex.next().kind !== 'eof') ref = undefined
  } catch (err) {
    if (!(err instanceof TraceQLParseError)) throw err
    throw new InvalidArgumentError(`invalid tag name ${JSON.stringify(name)}: ${err.message}`, { cause: err })
  }
  if (ref === undefined) {
    throw new InvalidArgumentError(`invalid tag name ${JSON.stringify(name)}: expected an attribute (span.x, resource.x, .x) or an intrinsic (name, status, statusMessage, kind, duration, traceDuration, rootName, rootServiceName)`)
  }
  return ref
}
