import type { AnyValue, KeyValue, Span, TracesData } from '../model.ts'
import type { PbMessage } from './spans.ts'

/**
 * Independent views of the official generated protobufjs decoder's output, for differential
 * tests: `modelFromOfficial` converts its message objects to our model (a third decoder to
 * compare against), `canonicalOfficial` strips the proto3 default values the official serializer
 * writes explicitly, so re-encoding it with the official encoder gives canonical bytes to compare
 * our encoder's output with.
 */

interface LongLike { toString (): string, isZero (): boolean, high: number, low: number }

function isLong (v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && 'high' in v && 'low' in v && 'unsigned' in v
}

function big (v: unknown): bigint {
  if (v === null || v === undefined) return 0n
  if (isLong(v)) return BigInt(v.toString())
  return BigInt(v as number)
}

function buf (v: unknown): Buffer {
  return v === null || v === undefined ? Buffer.alloc(0) : Buffer.from(v as Uint8Array)
}

function arr (v: unknown): PbMessage[] {
  return (v ?? []) as PbMessage[]
}

const s = (v: unknown): string => (v ?? '') as string
const n = (v: unknown): number => (v ?? 0) as number

function anyValue (m: PbMessage | null | undefined): AnyValue {
  if (m === null || m === undefined) return { kind: 'empty' }
  if (m.stringValue != null) return { kind: 'string', value: m.stringValue as string }
  if (m.boolValue != null) return { kind: 'bool', value: m.boolValue as boolean }
  if (m.intValue != null) return { kind: 'int', value: big(m.intValue) }
  if (m.doubleValue != null) return { kind: 'double', value: m.doubleValue as number }
  if (m.bytesValue != null) return { kind: 'bytes', value: buf(m.bytesValue) }
  if (m.arrayValue != null) return { kind: 'array', value: arr((m.arrayValue as PbMessage).values).map(anyValue) }
  if (m.kvlistValue != null) return { kind: 'kvlist', value: attrs((m.kvlistValue as PbMessage).values) }
  return { kind: 'empty' }
}

function attrs (v: unknown): KeyValue[] {
  return arr(v).map((kv) => ({ key: s(kv.key), value: anyValue(kv.value as PbMessage | null) }))
}

export function modelFromOfficial (req: PbMessage): TracesData {
  return {
    resourceSpans: arr(req.resourceSpans).map((rs) => {
      const r = rs.resource as PbMessage | null
      return {
        resource: r == null ? null : { attributes: attrs(r.attributes), droppedAttributesCount: n(r.droppedAttributesCount) },
        scopeSpans: arr(rs.scopeSpans).map((ss) => {
          const sc = ss.scope as PbMessage | null
          return {
            scope: sc == null ? null : { name: s(sc.name), version: s(sc.version), attributes: attrs(sc.attributes), droppedAttributesCount: n(sc.droppedAttributesCount) },
            spans: arr(ss.spans).map((sp): Span => {
              const st = sp.status as PbMessage | null
              return {
                traceId: buf(sp.traceId),
                spanId: buf(sp.spanId),
                traceState: s(sp.traceState),
                parentSpanId: buf(sp.parentSpanId),
                flags: n(sp.flags),
                name: s(sp.name),
                kind: n(sp.kind),
                startTimeUnixNano: big(sp.startTimeUnixNano),
                endTimeUnixNano: big(sp.endTimeUnixNano),
                attributes: attrs(sp.attributes),
                droppedAttributesCount: n(sp.droppedAttributesCount),
                events: arr(sp.events).map((e) => ({ timeUnixNano: big(e.timeUnixNano), name: s(e.name), attributes: attrs(e.attributes), droppedAttributesCount: n(e.droppedAttributesCount) })),
                droppedEventsCount: n(sp.droppedEventsCount),
                links: arr(sp.links).map((l) => ({
                  traceId: buf(l.traceId), spanId: buf(l.spanId), traceState: s(l.traceState), attributes: attrs(l.attributes), droppedAttributesCount: n(l.droppedAttributesCount), flags: n(l.flags),
                })),
                droppedLinksCount: n(sp.droppedLinksCount),
                status: { code: n(st?.code), message: s(st?.message) },
              }
            }),
            schemaUrl: s(ss.schemaUrl),
          }
        }),
        schemaUrl: s(rs.schemaUrl),
      }
    }),
  }
}

const ONEOF = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue', 'arrayValue', 'kvlistValue'])

/** Deletes proto3 default scalars (and an all-default status) in place; AnyValue members stay. */
export function canonicalOfficial (m: PbMessage): PbMessage {
  for (const key of Object.keys(m)) {
    const v = m[key]
    if (ONEOF.has(key)) {
      if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !isLong(v)) canonicalOfficial(v as PbMessage)
      continue
    }
    if (Array.isArray(v)) {
      for (const x of v) canonicalOfficial(x as PbMessage)
    } else if (v === 0 || v === '' || v === false || (v instanceof Uint8Array && v.length === 0) || (isLong(v) && v.isZero())) {
      delete m[key]
    } else if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !isLong(v)) {
      canonicalOfficial(v as PbMessage)
      if (key === 'status' && Object.keys(v).length === 0) delete m[key]
    }
  }
  return m
}
