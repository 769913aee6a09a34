import { readFileSync } from 'node:fs'
import { officialRequestType } from '../common/otlp/testing/spans.ts'
const off = officialRequestType()
const proto: Uint8Array[] = []
for (let i = 0; i < 20; i++) proto.push(readFileSync(`/tmp/otlp-${i}.pb`))
let n = 0
const t0 = performance.now()
while (performance.now() - t0 < 3000) { for (const p of proto) { off.decode(p); n += 100 } }
console.log('pbjs', n / ((performance.now() - t0) / 1000))
