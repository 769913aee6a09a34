import { parseArgs } from 'node:util'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { decodeTracesJson } from '../common/otlp/decode-json.ts'
import { decodeTracesProto } from '../common/otlp/decode-proto.ts'
import { encodeTracesJson } from '../common/otlp/encode-json.ts'
import { encodeTracesProto } from '../common/otlp/encode-proto.ts'
import { splitRequestByTrace } from '../common/otlp/split-proto.ts'
import { modelFromOfficial } from '../common/otlp/testing/official.ts'
import { officialRequestType, readableSpan, realisticSpanSpecs } from '../common/otlp/testing/spans.ts'
import { report } from './report.ts'

/**
 * OTLP codec throughput on realistic requests: 100 spans each, ~10 attributes, 0–3 events, a link
 * on ~1 in 5 spans, serialized by the official @opentelemetry/otlp-transformer serializers.
 * Compares our hand-written protobuf decoder with the official protobufjs static code decoding
 * the same bytes (to protobufjs message objects), and measures our JSON decoder and encoders.
 *   npm run bench -- otlp-decode [--requests 20] [--spans 100] [--seconds 5]
 */
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20' },
    spans: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '5' },
  },
})
const requests = Number(values.requests)
const spansPerRequest = Number(values.spans)
const seconds = Number(values.seconds)
const params = { requests, spansPerRequest }

const proto: Uint8Array[] = []
const json: Uint8Array[] = []
for (let i = 0; i < requests; i++) {
  const spans = realisticSpanSpecs(spansPerRequest, i + 1).map(readableSpan)
  proto.push(ProtobufTraceSerializer.serializeRequest(spans)!)
  json.push(JsonTraceSerializer.serializeRequest(spans)!)
}
const avg = (xs: Uint8Array[]): number => xs.reduce((n, x) => n + x.length, 0) / xs.length
report('otlp-decode', 'proto_request_bytes', avg(proto), 'bytes', params)
report('otlp-decode', 'json_request_bytes', avg(json), 'bytes', params)

/** Runs `fn` over the inputs round-robin for `ms` milliseconds; returns spans/s. */
function run<T> (inputs: T[], fn: (x: T) => unknown, ms: number): number {
  let sink = 0
  let n = 0
  const t0 = performance.now()
  const until = t0 + ms
  while (performance.now() < until) {
    for (let k = 0; k < inputs.length; k++) if (fn(inputs[k]!) !== undefined) sink++
    n += inputs.length
  }
  const dt = (performance.now() - t0) / 1000
  if (sink < 0) throw new Error('unreachable')
  return n * spansPerRequest / dt
}

/**
 * Best of `rounds` runs per contender, contenders interleaved (A B A B …) after a warm-up, so
 * neither gets a systematically cooler or noisier slot on a shared machine.
 */
function compare (contenders: Record<string, () => number>, rounds = 5): Record<string, number> {
  const best: Record<string, number> = {}
  for (const [name, fn] of Object.entries(contenders)) { fn(); best[name] = 0 }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) best[name] = Math.max(best[name]!, fn())
  }
  return best
}

const roundMs = seconds * 1000 / 5
const official = officialRequestType()
const protoBuffers = proto.map((b) => Buffer.from(b))
const decoders = compare({
  ours: () => run(proto, decodeTracesProto, roundMs),
  'protobufjs-static': () => run(proto, (b) => official.decode(b), roundMs),
  // The same output as ours (our model: bigint times, Buffer ids, tagged values): apples to apples.
  'protobufjs-static+model': () => run(proto, (b) => modelFromOfficial(official.decode(b)), roundMs),
  // What the write path runs instead of decoding: validate + split by trace + splice bytes.
  split: () => run(protoBuffers, splitRequestByTrace, roundMs),
})
report('otlp-decode', 'proto_decode_spans_per_sec', decoders.ours!, 'spans/s', { ...params, decoder: 'ours' })
report('otlp-decode', 'proto_decode_spans_per_sec', decoders['protobufjs-static']!, 'spans/s', { ...params, decoder: 'protobufjs-static' })
report('otlp-decode', 'proto_decode_spans_per_sec', decoders['protobufjs-static+model']!, 'spans/s', { ...params, decoder: 'protobufjs-static+model' })
report('otlp-decode', 'proto_decode_ratio_ours_vs_protobufjs', decoders.ours! / decoders['protobufjs-static+model']!, 'x', { ...params, note: 'same output (our model)' })
report('otlp-decode', 'proto_decode_ratio_ours_vs_protobufjs_raw', decoders.ours! / decoders['protobufjs-static']!, 'x', { ...params, note: 'protobufjs objects with Long, no conversion' })
report('otlp-decode', 'proto_split_spans_per_sec', decoders.split!, 'spans/s', { ...params, path: 'validate+split+splice (ingest hot path)' })
report('otlp-decode', 'proto_split_ratio_vs_protobufjs_decode', decoders.split! / decoders['protobufjs-static']!, 'x', params)

const jsonText = json.map((b) => Buffer.from(b).toString('utf8'))
const jsonDecoders = compare({
  ours: () => run(jsonText, decodeTracesJson, roundMs),
  'JSON.parse-only': () => run(jsonText, (t) => JSON.parse(t) as unknown, roundMs),
})
report('otlp-decode', 'json_decode_spans_per_sec', jsonDecoders.ours!, 'spans/s', { ...params, decoder: 'ours' })
report('otlp-decode', 'json_decode_spans_per_sec', jsonDecoders['JSON.parse-only']!, 'spans/s', { ...params, decoder: 'JSON.parse-only' })

const models = proto.map(decodeTracesProto)
const encoders = compare({
  proto: () => run(models, encodeTracesProto, roundMs),
  'json-tempo': () => run(models, (m) => encodeTracesJson(m, { dialect: 'tempo', topLevelKey: 'batches' }), roundMs),
}, 3)
report('otlp-decode', 'proto_encode_spans_per_sec', encoders.proto!, 'spans/s', { ...params, encoder: 'ours' })
report('otlp-decode', 'json_encode_spans_per_sec', encoders['json-tempo']!, 'spans/s', { ...params, encoder: 'ours-tempo' })
