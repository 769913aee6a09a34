import type { AnyValue, KeyValue } from '../../common/otlp/model.ts'

/** Attribute builders for the trace generator: one per OTLP AnyValue type. */
export function str (key: string, value: string): KeyValue {
  return { key, value: { kind: 'string', value } }
}

export function int (key: string, value: number | bigint): KeyValue {
  return { key, value: { kind: 'int', value: BigInt(value) } }
}

export function dbl (key: string, value: number): KeyValue {
  return { key, value: { kind: 'double', value } }
}

export function bool (key: string, value: boolean): KeyValue {
  return { key, value: { kind: 'bool', value } }
}

export function strs (key: string, values: string[]): KeyValue {
  return { key, value: { kind: 'array', value: values.map((v): AnyValue => ({ kind: 'string', value: v })) } }
}

export function ints (key: string, values: number[]): KeyValue {
  return { key, value: { kind: 'array', value: values.map((v): AnyValue => ({ kind: 'int', value: BigInt(v) })) } }
}
