/**
 * Golden tests: every committed fixture (fixtures/<api>/v<N>_{request,response}.hex, written
 * once by fixtures/generate.ts) decodes to the canonical sample and re-encodes byte for byte.
 * A failure here means the wire format changed. These tests never write fixtures.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { apis } from './apis/index.ts'
import type { AnyApiCodec } from './apis/index.ts'
import { fixtureDir, fromHex } from './fixtures/hex.ts'
import { Reader } from './reader.ts'
import { samples } from './test-samples.ts'
import { Writer } from './writer.ts'

const root = fileURLToPath(new URL('./fixtures/', import.meta.url))

for (const codec of Object.values(apis) as AnyApiCodec[]) {
  const sample = samples[codec.apiKey]!
  for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
    for (const kind of ['request', 'response'] as const) {
      test(`golden ${codec.name} v${v} ${kind}`, () => {
        const path = join(root, fixtureDir(codec.name), `v${v}_${kind}.hex`)
        assert.ok(existsSync(path), `missing fixture ${path} (run fixtures/generate.ts once and commit it)`)
        const bytes = fromHex(readFileSync(path, 'utf8'))
        const r = new Reader(bytes)
        const decoded = kind === 'request' ? codec.decodeRequest(v, r) : codec.decodeResponse(v, r)
        assert.equal(r.remaining, 0, 'every byte consumed')
        assert.deepEqual(decoded, kind === 'request' ? sample.request(v) : sample.response(v))
        const w = new Writer()
        if (kind === 'request') codec.encodeRequest(v, decoded, w)
        else codec.encodeResponse(v, decoded, w)
        assert.deepEqual(w.toBuffer(), bytes)
      })
    }
  }
}
