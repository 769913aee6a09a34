import type { Random } from '../../common/random.ts'
import type { KeyValue } from '../../common/otlp/model.ts'
import { bool, dbl, int, ints, str, strs } from './kv.ts'

/**
 * The made-up shop the load generator traces: who serves which routes and who calls whom. The
 * generator grows each trace by picking an operation of a service that is handling a request.
 */
export interface Route { method: string, route: string }

export type Operation =
  | { type: 'http', target: string, weight: number }
  | { type: 'db', weight: number }
  | { type: 'cache', weight: number }
  | { type: 'publish', target: string, topic: string, weight: number }
  | { type: 'internal', names: string[], weight: number }

export interface ServiceDef {
  name: string
  version: string
  language: string
  port: number
  scope: string
  routes: Route[]
  /** Outgoing work while handling a request; empty for leaf services (db, cache). */
  ops: Operation[]
}

export const DB_SERVICE = 'db'
export const CACHE_SERVICE = 'cache'

export const SERVICES: ServiceDef[] = [
  {
    name: 'frontend', version: '2.4.1', language: 'nodejs', port: 8080, scope: '@opentelemetry/instrumentation-http',
    routes: [{ method: 'GET', route: '/' }, { method: 'GET', route: '/api/products/{id}' }, { method: 'POST', route: '/api/cart' }, { method: 'POST', route: '/api/checkout' }],
    ops: [{ type: 'http', target: 'cart', weight: 3 }, { type: 'http', target: 'checkout', weight: 2 }, { type: 'cache', weight: 1 }, { type: 'internal', names: ['render page', 'resolve session'], weight: 2 }],
  },
  {
    name: 'cart', version: '1.9.0', language: 'dotnet', port: 7070, scope: 'OpenTelemetry.Instrumentation.AspNetCore',
    routes: [{ method: 'GET', route: '/cart/{userId}' }, { method: 'POST', route: '/cart/{userId}/items' }, { method: 'DELETE', route: '/cart/{userId}' }],
    ops: [{ type: 'cache', weight: 4 }, { type: 'db', weight: 2 }, { type: 'internal', names: ['validate item'], weight: 1 }],
  },
  {
    name: 'checkout', version: '3.0.2', language: 'go', port: 5050, scope: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp',
    routes: [{ method: 'POST', route: '/checkout' }],
    ops: [
      { type: 'http', target: 'cart', weight: 2 }, { type: 'http', target: 'payment', weight: 2 }, { type: 'http', target: 'shipping', weight: 2 },
      { type: 'db', weight: 2 }, { type: 'publish', target: 'email', topic: 'orders', weight: 1 }, { type: 'internal', names: ['compute totals'], weight: 1 },
    ],
  },
  {
    name: 'payment', version: '0.12.5', language: 'java', port: 9090, scope: 'io.opentelemetry.servlet-5.0',
    routes: [{ method: 'POST', route: '/charge' }, { method: 'POST', route: '/refund' }],
    ops: [{ type: 'db', weight: 2 }, { type: 'internal', names: ['fraud check', 'tokenize card'], weight: 2 }, { type: 'cache', weight: 1 }],
  },
  {
    name: 'shipping', version: '1.1.0', language: 'rust', port: 50051, scope: 'opentelemetry-http',
    routes: [{ method: 'GET', route: '/quote' }, { method: 'POST', route: '/ship' }],
    ops: [{ type: 'db', weight: 1 }, { type: 'cache', weight: 1 }, { type: 'internal', names: ['compute route'], weight: 2 }],
  },
  {
    name: 'email', version: '0.4.0', language: 'python', port: 8000, scope: 'opentelemetry.instrumentation.kafka',
    routes: [],
    ops: [{ type: 'internal', names: ['render template', 'send smtp'], weight: 2 }, { type: 'db', weight: 1 }],
  },
  { name: DB_SERVICE, version: '15.4', language: 'cpp', port: 5432, scope: 'pg-tracing', routes: [], ops: [] },
  { name: CACHE_SERVICE, version: '7.2.4', language: 'cpp', port: 6379, scope: 'redis-tracing', routes: [], ops: [] },
]

export function serviceByName (name: string): ServiceDef {
  const s = SERVICES.find((x) => x.name === name)
  if (s === undefined) throw new Error(`unknown service ${name}`)
  return s
}

export function pick<T> (rand: Random, items: readonly T[]): T {
  const item = items[rand.int(items.length)]
  if (item === undefined) throw new Error('pick from an empty list')
  return item
}

export function pickOperation (rand: Random, ops: readonly Operation[]): Operation {
  let total = 0
  for (const op of ops) total += op.weight
  let r = rand.next() * total
  for (const op of ops) {
    r -= op.weight
    if (r < 0) return op
  }
  return pick(rand, ops)
}

function fillRoute (rand: Random, route: string): string {
  return route.replace(/\{(\w+)\}/g, () => String(1000 + rand.int(9000)))
}

/** HTTP server span attributes (semconv 1.20 names, which Tempo's UIs know best). */
export function httpServerAttrs (rand: Random, svc: ServiceDef, route: Route, error: boolean): KeyValue[] {
  const attrs = [
    str('http.method', route.method), str('http.route', route.route), str('http.target', fillRoute(rand, route.route)),
    str('http.scheme', 'http'), int('http.status_code', error ? 500 : route.method === 'POST' ? 201 : 200), int('net.host.port', svc.port),
  ]
  if (route.method !== 'GET') attrs.push(int('http.request_content_length', 64 + rand.int(4000)))
  if (svc.name === 'frontend') {
    attrs.push(str('http.user_agent', pick(rand, ['Mozilla/5.0 (X11; Linux x86_64)', 'curl/8.5.0', 'okhttp/4.12.0'])))
    attrs.push(str('app.user_id', `user-${rand.int(5000)}`), bool('app.session.new', rand.next() < 0.2))
    attrs.push(strs('app.feature_flags', ['new-checkout', 'dark-mode', 'recs-v2'].filter(() => rand.next() < 0.5)))
  }
  return attrs
}

export function httpClientAttrs (rand: Random, target: ServiceDef, route: Route, error: boolean): KeyValue[] {
  return [
    str('http.method', route.method), str('http.url', `http://${target.name}:${target.port}${fillRoute(rand, route.route)}`),
    int('http.status_code', error ? pick(rand, [500, 502, 503]) : 200), str('net.peer.name', target.name), int('net.peer.port', target.port),
  ]
}

const TABLES = ['orders', 'order_items', 'products', 'carts', 'users', 'payments', 'shipments']

/** A SQL statement and its operation (the span name of a database call is `<op> <table>`). */
export function sqlStatement (rand: Random): { op: string, table: string, statement: string } {
  const table = pick(rand, TABLES)
  const op = pick(rand, ['SELECT', 'SELECT', 'SELECT', 'INSERT', 'UPDATE'])
  const statement = op === 'SELECT' ? `SELECT * FROM ${table} WHERE id = $1` : op === 'INSERT' ? `INSERT INTO ${table} VALUES ($1, $2, $3)` : `UPDATE ${table} SET updated_at = now() WHERE id = $1`
  return { op, table, statement }
}

export function dbAttrs (statement: string, op: string, table: string): KeyValue[] {
  return [str('db.system', 'postgresql'), str('db.name', 'shop'), str('db.statement', statement), str('db.operation', op), str('db.sql.table', table), str('net.peer.name', DB_SERVICE), int('net.peer.port', 5432)]
}

export function cacheCommand (rand: Random): { command: string, statement: string } {
  const command = pick(rand, ['GET', 'GET', 'SET', 'HGETALL', 'EXPIRE'])
  return { command, statement: `${command} ${pick(rand, ['cart', 'session', 'product'])}:${rand.int(10000)}` }
}

export function cacheAttrs (statement: string): KeyValue[] {
  return [str('db.system', 'redis'), str('db.statement', statement), str('net.peer.name', CACHE_SERVICE), int('net.peer.port', 6379), int('db.redis.database_index', 0)]
}

export function messagingAttrs (rand: Random, topic: string, operation: 'publish' | 'process'): KeyValue[] {
  return [
    str('messaging.system', 'kafka'), str('messaging.destination.name', topic), str('messaging.operation', operation),
    int('messaging.message.payload_size_bytes', 200 + rand.int(2000)), int('messaging.kafka.destination.partition', rand.int(8)),
  ]
}

/** Business attributes of internal spans, covering doubles, booleans and arrays. */
export function internalAttrs (rand: Random, name: string): KeyValue[] {
  switch (name) {
    case 'fraud check': return [dbl('fraud.score', Math.round(rand.next() * 1000) / 1000), bool('payment.approved', rand.next() < 0.97)]
    case 'compute totals': {
      const n = 1 + rand.int(5)
      return [dbl('order.total', Math.round(rand.next() * 50000) / 100), int('order.item_count', n), strs('order.item_ids', Array.from({ length: n }, () => `sku-${rand.int(900) + 100}`))]
    }
    case 'compute route': return [ints('shipping.zones', [1 + rand.int(3), 4 + rand.int(3)]), dbl('shipping.distance_km', Math.round(rand.next() * 200000) / 100)]
    case 'validate item': return [bool('item.in_stock', rand.next() < 0.9), int('item.quantity', 1 + rand.int(4))]
    case 'render page': case 'render template': return [str('template.name', pick(rand, ['home', 'product', 'cart', 'order-confirmation'])), bool('template.cached', rand.next() < 0.7)]
    default: return [str('code.function', name.replace(/ /g, '_'))]
  }
}

export const ERRORS: ReadonlyArray<{ type: string, message: string }> = [
  { type: 'TimeoutError', message: 'deadline exceeded after 2000ms' },
  { type: 'ConnectionRefusedError', message: 'connect ECONNREFUSED 10.0.3.17:5432' },
  { type: 'java.lang.IllegalStateException', message: 'card token expired' },
  { type: 'ValueError', message: 'invalid quantity: -1' },
  { type: 'HTTPError', message: 'upstream returned 503 Service Unavailable' },
]
