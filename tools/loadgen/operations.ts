import { SpanKind } from '../../common/otlp/model.ts'
import { int, str, bool } from './kv.ts'
import { scopeSpec } from './resources.ts'
import {
  CACHE_SERVICE, DB_SERVICE, cacheAttrs, cacheCommand, dbAttrs, httpClientAttrs, httpServerAttrs, internalAttrs,
  messagingAttrs, pick, serviceByName, sqlStatement,
} from './services.ts'
import type { Operation, Route, ServiceDef } from './services.ts'
import { durationNs } from './timing.ts'
import type { SpanNode, TraceContext } from './trace-generator.ts'

type NodeInit = Pick<SpanNode, 'svc' | 'resource' | 'scope' | 'name' | 'kind' | 'attrs' | 'selfNs'>

function node (ctx: TraceContext, init: Omit<NodeInit, 'attrs'> & { attrs: (error: boolean) => SpanNode['attrs'] }): SpanNode {
  const error = ctx.rand.next() < ctx.errorRate
  return { ...init, attrs: init.attrs(error), error, children: [], spanId: ctx.newSpanId(), offsetNs: 0, durationNs: 0 }
}

/** A SERVER span of `svc` handling `route` (a CONSUMER span on `topic` for queue consumers). */
export function newHandler (ctx: TraceContext, svc: ServiceDef, route: Route | null, topic = ''): SpanNode {
  const { rand } = ctx
  const resource = ctx.instance(svc)
  const scope = scopeSpec(svc.scope, '0.46.0')
  if (route === null) {
    return node(ctx, { svc, resource, scope, name: `${topic} process`, kind: SpanKind.CONSUMER, attrs: () => messagingAttrs(rand, topic, 'process'), selfNs: durationNs(rand, 0.2, 4) })
  }
  return node(ctx, { svc, resource, scope, name: `${route.method} ${route.route}`, kind: SpanKind.SERVER, attrs: (e) => httpServerAttrs(rand, svc, route, e), selfNs: durationNs(rand, 0.1, 3) })
}

/**
 * Adds one operation under a handler: an HTTP call (client span + the callee's server span), a
 * database or cache query (client span + the db/cache server span), a message publish (producer
 * span + the consumer's span) or a bit of internal work. Returns how many spans it added and the
 * new handlers that may do work of their own.
 */
export function addCall (ctx: TraceContext, parent: SpanNode, op: Operation): { count: number, handlers: SpanNode[] } {
  const { rand } = ctx
  const base = { svc: parent.svc, resource: parent.resource }
  switch (op.type) {
    case 'http': {
      const target = serviceByName(op.target)
      const route = pick(rand, target.routes)
      const client = node(ctx, { ...base, scope: parent.scope, name: `${route.method} ${route.route}`, kind: SpanKind.CLIENT, attrs: (e) => httpClientAttrs(rand, target, route, e), selfNs: 0 })
      const server = newHandler(ctx, target, route)
      client.children.push(server)
      parent.children.push(client)
      return { count: 2, handlers: target.ops.length > 0 ? [server] : [] }
    }
    case 'db': {
      const db = serviceByName(DB_SERVICE)
      const { op: verb, table, statement } = sqlStatement(rand)
      const name = `${verb} shop.${table}`
      const client = node(ctx, { ...base, scope: scopeSpec('opentelemetry-instrumentation-pg', '0.41.0'), name, kind: SpanKind.CLIENT, attrs: () => dbAttrs(statement, verb, table), selfNs: 0 })
      const server = node(ctx, {
        svc: db, resource: ctx.instance(db), scope: scopeSpec(db.scope, '1.0.0'), name, kind: SpanKind.SERVER, selfNs: durationNs(rand, 0.2, 25),
        attrs: () => [str('db.system', 'postgresql'), str('db.statement', statement), int('db.rows_affected', rand.int(verb === 'SELECT' ? 200 : 3))],
      })
      client.children.push(server)
      parent.children.push(client)
      return { count: 2, handlers: [] }
    }
    case 'cache': {
      const cache = serviceByName(CACHE_SERVICE)
      const { command, statement } = cacheCommand(rand)
      const client = node(ctx, { ...base, scope: scopeSpec('opentelemetry-instrumentation-redis', '0.39.0'), name: command, kind: SpanKind.CLIENT, attrs: () => cacheAttrs(statement), selfNs: 0 })
      const server = node(ctx, {
        svc: cache, resource: ctx.instance(cache), scope: scopeSpec(cache.scope, '1.0.0'), name: command, kind: SpanKind.SERVER, selfNs: durationNs(rand, 0.03, 1.5),
        attrs: () => [str('db.system', 'redis'), str('db.statement', statement), bool('cache.hit', rand.next() < 0.8)],
      })
      client.children.push(server)
      parent.children.push(client)
      return { count: 2, handlers: [] }
    }
    case 'publish': {
      const target = serviceByName(op.target)
      const producer = node(ctx, { ...base, scope: scopeSpec('opentelemetry-instrumentation-kafka', '0.40.0'), name: `${op.topic} publish`, kind: SpanKind.PRODUCER, attrs: () => messagingAttrs(rand, op.topic, 'publish'), selfNs: durationNs(rand, 0.1, 2) })
      const consumer = newHandler(ctx, target, null, op.topic)
      producer.children.push(consumer)
      parent.children.push(producer)
      return { count: 2, handlers: [consumer] }
    }
    case 'internal': {
      const name = pick(rand, op.names)
      parent.children.push(node(ctx, { ...base, scope: scopeSpec(`${parent.svc.name}-app`, parent.svc.version), name, kind: SpanKind.INTERNAL, attrs: () => internalAttrs(rand, name), selfNs: durationNs(rand, 0.02, 8) }))
      return { count: 1, handlers: [] }
    }
  }
}
