/**
 * Test helper: kafkajs 2.2.4's own protocol code as the independent reference. Its per-version
 * request modules return `{ encode(): Promise<Encoder> }` whose buffer is the request *body*
 * (kafkajs/src/protocol/request.js adds the header separately), and its response modules
 * export `decode(body)` and `parse(decoded)` (parse throws on error codes).
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

type RequestFactory = (args: Record<string, unknown>) => { encode: () => Promise<{ buffer: Buffer }> }
interface ResponseModule {
  decode: (b: Buffer) => Promise<unknown>
  parse: (d: unknown) => Promise<unknown>
}

/** The request body kafkajs encodes for `args` with its `<dir>/v<version>/request.js`. */
export async function kafkajsRequest (dir: string, version: number, args: Record<string, unknown>): Promise<Buffer> {
  const make = require(`kafkajs/src/protocol/requests/${dir}/v${version}/request.js`) as RequestFactory
  return (await make(args).encode()).buffer
}

/** kafkajs's decode + parse of a response body; the result is plain JSON-ish data. */
export async function kafkajsResponse (dir: string, version: number, body: Buffer): Promise<Record<string, unknown>> {
  const mod = require(`kafkajs/src/protocol/requests/${dir}/v${version}/response.js`) as ResponseModule
  return await mod.parse(await mod.decode(body)) as Record<string, unknown>
}

export const Long = require('kafkajs/src/utils/long.js') as { fromValue: (v: string | number) => unknown }

/** Strips kafkajs's Buffer-vs-JSON differences: compares via JSON with Buffers as hex. */
export function plain (v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return x.toString()
    if (x !== null && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer') {
      return Buffer.from((x as { data: number[] }).data).toString('hex')
    }
    return x
  }))
}
