import { sleep } from '../../bench/helpers/http.ts'
import type { ChaosCluster } from './cluster.ts'

/**
 * The fault script: each step puts the cluster into a fault, holds it, heals it and measures
 * the recovery. Times are seconds from the start of the run; a step's window is [start, end],
 * end being the moment it was healed (the shaded band of the timeline).
 */
export interface FaultWindow {
  kind: 'kill-zone' | 'stop-node' | 'net-cut' | 'restart-zone'
  label: string
  start: number
  end: number
  /** From the heal until every restarted node answered /ready (restarts only). */
  catchUpMs?: number
  /** From the heal until every node's ring view was healthy again. */
  reconvergeMs?: number
  /** Why a step was skipped, or what went wrong while healing. */
  note?: string
}

export interface StepContext { cluster: ChaosCluster, t0: number, holdMs: number, recoveryTimeoutMs: number }

const since = (t0: number): number => (performance.now() - t0) / 1000

export type Step = (c: StepContext) => Promise<FaultWindow>

async function recover (c: StepContext, w: FaultWindow, healedAt: number, restarted: Parameters<ChaosCluster['restart']>[0]): Promise<FaultWindow> {
  if (restarted.length > 0) {
    const ok = await c.cluster.restart(restarted, c.recoveryTimeoutMs)
    if (ok) w.catchUpMs = Math.round(performance.now() - healedAt)
    else w.note = `not every restarted node answered /ready within ${c.recoveryTimeoutMs} ms`
  }
  if (await c.cluster.healthy(c.recoveryTimeoutMs)) w.reconvergeMs = Math.round(performance.now() - healedAt)
  else w.note = [w.note, `the ring did not turn healthy within ${c.recoveryTimeoutMs} ms`].filter((s) => s !== undefined).join('; ')
  return w
}

/** SIGKILL every node of `zone`, hold, restart them from their command lines. */
export function killZone (zone: string): Step {
  return async (c) => {
    const nodes = c.cluster.zone(zone)
    const w: FaultWindow = { kind: 'kill-zone', label: `SIGKILL zone ${zone}`, start: since(c.t0), end: 0 }
    await c.cluster.kill(nodes)
    await sleep(c.holdMs)
    const healedAt = performance.now()
    w.end = since(c.t0)
    return recover(c, w, healedAt, nodes)
  }
}

/** SIGSTOP one node, hold, SIGCONT. */
export function stopNode (node: string): Step {
  return async (c) => {
    const n = c.cluster.nodes.find((x) => x.node === node)
    if (n === undefined) throw new Error(`no node ${node}`)
    const w: FaultWindow = { kind: 'stop-node', label: `SIGSTOP ${node}`, start: since(c.t0), end: 0 }
    c.cluster.freeze(n)
    await sleep(c.holdMs)
    c.cluster.thaw(n)
    const healedAt = performance.now()
    w.end = since(c.t0)
    return recover(c, w, healedAt, [])
  }
}

/**
 * Cut every node of `zone` off the network (its veth down: packets dropped, connections left to
 * time out), hold, heal. Needs network namespaces (root, iproute2); without, recorded as skipped.
 */
export function netCut (zone: string): Step {
  return async (c) => {
    const label = `cut zone ${zone} off the network`
    const start = since(c.t0)
    if (!c.cluster.cuttable) return { kind: 'net-cut', label, start, end: start, note: 'skipped: needs network namespaces (root and iproute2; every node shares loopback)' }
    const w: FaultWindow = { kind: 'net-cut', label, start, end: 0 }
    await c.cluster.cut(zone)
    await sleep(c.holdMs)
    await c.cluster.heal(zone)
    const healedAt = performance.now()
    w.end = since(c.t0)
    return recover(c, w, healedAt, [])
  }
}

/** A rolling-free zone restart: SIGTERM every node of `zone` (graceful), then start them again at once. */
export function restartZone (zone: string): Step {
  return async (c) => {
    const nodes = c.cluster.zone(zone)
    const w: FaultWindow = { kind: 'restart-zone', label: `restart zone ${zone}`, start: since(c.t0), end: 0 }
    await c.cluster.terminate(nodes)
    const healedAt = performance.now()
    w.end = since(c.t0)
    return recover(c, w, healedAt, nodes)
  }
}
