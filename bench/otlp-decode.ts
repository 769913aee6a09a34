import { parseArgs } from 'node:util'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { decodeTracesJson } from '../common/otlp/decode-json.ts'
import { decodeTracesProto } from '../common/otlp/decode-proto.ts'
import { encodeTracesJson } from '../common/otlp/encode-json.ts'
import { encodeTracesProto } from '../common/otlp/encode-proto.ts'
import { officialRequestType, readableSpan, realisticSpanSpecs } from '../common/otlp/testing/spans.ts'
import { report } from './report.ts'

/**
 * OTLP codec throughput on realistic requests: 100 spans each, ~10 attributes, 0–3 events, a link
 * on ~1 in 5 spans, serialized by the official @opentelemetry/otlp-transformer serializers.
 * Compares our hand-written protobuf decoder with the official protobufjs static code decoding
 * the same bytes (to protobufjs message objects), and measures our JSON decoder and encoders.
 *   npm run bench -- otlp-decode [--requests 20] [--spans 100] [--seconds 2]
 */
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20' },
    spans: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '2' },
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

/** Runs `fn` over the inputs round-robin for `seconds` (after a warm-up); returns spans/s. */
function measure<T> (inputs: T[], fn: (x: T) => unknown): number {
  let sink = 0
  const warmUntil = performance.now() + 500
  for (let i = 0; performance.now() < warmUntil; i++) if (fn(inputs[i % inputs.length]!) !== undefined) sink++
  let n = 0
  const t0 = performance.now()
  const until = t0 + seconds * 1000
  while (performance.now() < until) {
    for (let k = 0; k < inputs.length; k++) if (fn(inputs[k]!) !== undefined) sink++
    n += inputs.length
  }
  const dt = (performance.now() - t0) / 1000
  if (sink < 0) throw new Error('unreachable')
  return n * spansPerRequest / dt
}

const official = officialRequestType()
const ours = measure(proto, decodeTracesProto)
report('otlp-decode', 'proto_decode_spans_per_sec', ours, 'spans/s', { ...params, decoder: 'ours' })
const pbjs = measure(proto, (b) => official.decode(b))
report('otlp-decode', 'proto_decode_spans_per_sec', pbjs, 'spans/s', { ...params, decoder: 'protobufjs-static' })
report('otlp-decode', 'proto_decode_ratio_ours_vs_protobufjs', ours / pbjs, 'x', params)

const jsonText = json.map((b) => Buffer.from(b).toString('utf8'))
report('otlp-decode', 'json_decode_spans_per_sec', measure(jsonText, decodeTracesJson), 'spans/s', { ...params, decoder: 'ours' })
report('otlp-decode', 'json_parse_only_spans_per_sec', measure(jsonText, (t) => JSON.parse(t) as unknown), 'spans/s', { ...params, decoder: 'JSON.parse' })

const models = proto.map(decodeTracesProto)
report('otlp-decode', 'proto_encode_spans_per_sec', measure(models, encodeTracesProto), 'spans/s', { ...params, encoder: 'ours' })
report('otlp-decode', 'json_encode_spans_per_sec', measure(models, (m) => encodeTracesJson(m, { dialect: 'tempo', topLevelKey: 'batches' })), 'spans/s', { ...params, encoder: 'ours-tempo' })
