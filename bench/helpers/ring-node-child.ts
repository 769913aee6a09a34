import { startRingNode } from './ring-node.ts'
import type { RingNode } from './ring-node.ts'

/**
 * Child-process side of `forkRingNode` (ring-node.ts): one ring node per process, driven over
 * IPC. Requests carry `req`, answers echo it; `seen` messages are pushed unasked. The node stops
 * when asked, or when the parent goes away.
 */
type Request = { req: number } & (
  | { op: 'start', index: number, clusterKey: string, seeds: string[], network?: Record<string, number> }
  | { op: 'status' } | { op: 'create', partition: number } | { op: 'mark' } | { op: 'stop' } | { op: 'watch', minId: number }
)

let node: RingNode | undefined
const send = (m: Record<string, unknown>): void => { if (process.connected) process.send?.(m) }

async function stopAndExit (code: number): Promise<never> {
  await node?.stop().catch(() => undefined)
  process.exit(code)
}

process.on('disconnect', () => { void stopAndExit(0) })
process.on('message', (m: Request) => {
  void (async () => {
    try {
      switch (m.op) {
        case 'start': {
          node = await startRingNode({ index: m.index, clusterKey: Uint8Array.from(Buffer.from(m.clusterKey, 'hex')), seeds: m.seeds, ...(m.network === undefined ? {} : { network: m.network }) })
          send({ req: m.req, op: 'started', id: node.id, peerId: node.peerId, address: node.address })
          break
        }
        case 'status': send({ req: m.req, op: 'status', status: await must().status() }); break
        case 'create': send({ req: m.req, op: 'created', at: await must().createPartition(m.partition) }); break
        case 'mark': await must().markPhase(); send({ req: m.req, op: 'done' }); break
        case 'watch': await must().onSeen(m.minId, (partition, at) => send({ op: 'seen', partition, at })); send({ req: m.req, op: 'done' }); break
        case 'stop': await node?.stop(); node = undefined; send({ req: m.req, op: 'done' }); process.disconnect(); break
      }
    } catch (err) {
      send({ req: m.req, op: 'error', message: err instanceof Error ? err.message : String(err) })
    }
  })()
})

function must (): RingNode {
  if (node === undefined) throw new Error('the node is not started')
  return node
}
