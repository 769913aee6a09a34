import type { InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span, TracesData } from '../../common/otlp/model.ts'
import type { Random } from '../../common/random.ts'
import { str } from './kv.ts'
import type { ServiceDef } from './services.ts'

/** A resource (one process: service + pod) with a stable key for grouping. */
export interface ResourceSpec { key: string, resource: Resource }
/** An instrumentation scope with a stable key for grouping. */
export interface ScopeSpec { key: string, scope: InstrumentationScope }
/** A span with the resource and scope that produced it, before SDK-style grouping. */
export interface GeneratedSpan { resource: ResourceSpec, scope: ScopeSpec, span: Span }

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789'

function alnum (rand: Random, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += ALNUM[rand.int(ALNUM.length)]
  return s
}

/** `instances` pods of a service, each a resource as its SDK would describe it. */
export function serviceInstances (rand: Random, svc: ServiceDef, instances: number): ResourceSpec[] {
  const out: ResourceSpec[] = []
  for (let i = 0; i < instances; i++) {
    const pod = `${svc.name}-${alnum(rand, 9)}-${alnum(rand, 5)}`
    const host = `ip-10-0-${rand.int(4)}-${1 + rand.int(250)}.ec2.internal`
    out.push({
      key: pod,
      resource: {
        attributes: [
          str('service.name', svc.name), str('service.version', svc.version), str('service.namespace', 'shop'),
          str('deployment.environment', 'production'), str('host.name', host), str('k8s.namespace.name', 'shop'),
          str('k8s.pod.name', pod), str('telemetry.sdk.name', 'opentelemetry'), str('telemetry.sdk.language', svc.language),
        ],
        droppedAttributesCount: 0,
      },
    })
  }
  return out
}

const scopes = new Map<string, ScopeSpec>()

/** A shared scope object per (name, version): identical scopes group together. */
export function scopeSpec (name: string, version: string): ScopeSpec {
  const key = `${name}@${version}`
  let s = scopes.get(key)
  if (s === undefined) {
    s = { key, scope: { name, version, attributes: [], droppedAttributesCount: 0 } }
    scopes.set(key, s)
  }
  return s
}

/**
 * Groups spans by resource, then by scope, in order of first appearance: the shape an SDK's
 * batch processor exports (one ResourceSpans per process, one ScopeSpans per library).
 */
export function groupSpans (spans: Iterable<GeneratedSpan>): TracesData {
  const byResource = new Map<string, { rs: ResourceSpans, byScope: Map<string, ScopeSpans> }>()
  for (const g of spans) {
    let r = byResource.get(g.resource.key)
    if (r === undefined) {
      r = { rs: { resource: g.resource.resource, scopeSpans: [], schemaUrl: 'https://opentelemetry.io/schemas/1.20.0' }, byScope: new Map() }
      byResource.set(g.resource.key, r)
    }
    let ss = r.byScope.get(g.scope.key)
    if (ss === undefined) {
      ss = { scope: g.scope.scope, spans: [], schemaUrl: '' }
      r.byScope.set(g.scope.key, ss)
      r.rs.scopeSpans.push(ss)
    }
    ss.spans.push(g.span)
  }
  return { resourceSpans: [...byResource.values()].map((r) => r.rs) }
}
