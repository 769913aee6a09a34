import { readFileSync } from 'node:fs'
import { decodeTracesProto } from '../common/otlp/decode-proto.ts'
const proto: Uint8Array[] = []
for (let i = 0; i < 20; i++) proto.push(readFileSync(`/tmp/otlp-${i}.pb`))
let n = 0
const t0 = performance.now()
while (performance.now() - t0 < 3000) { for (const p of proto) { decodeTracesProto(p); n += 100 } }
console.log(n / ((performance.now() - t0) / 1000))
