// Shared by this directory's tests only: a coordinator over a ManualClock with deterministic ids.
import { pino } from 'pino'
import { ManualClock } from '../../test/fakes/clock.ts'
import { GroupCoordinator } from './coordinator.ts'
import type { GroupCoordinatorOptions } from './coordinator.ts'
import type { JoinGroupRequest, SyncGroupRequest } from './types.ts'

export interface Tracked<T> { done: boolean, value: T | undefined }

export function setup (opts: Partial<GroupCoordinatorOptions> = {}): { clock: ManualClock, coord: GroupCoordinator } {
  const clock = new ManualClock()
  let n = 0
  const coord = new GroupCoordinator({ clock, logger: pino({ level: 'silent' }), idGenerator: () => `id${++n}`, ...opts })
  return { clock, coord }
}

export function joinReq (over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    ...over,
  }
}

export function syncReq (over: Partial<SyncGroupRequest> = {}): SyncGroupRequest {
  return { groupId: 'g', generationId: 1, memberId: '', groupInstanceId: null, assignments: [], ...over }
}

/** Observes a promise without awaiting it, so tests can assert that it is still held. */
export function track<T> (p: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { done: false, value: undefined }
  void p.then((v) => { t.done = true; t.value = v })
  return t
}

/** Lets resolved promises' callbacks run. */
export function flush (): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve) })
}

export function value<T> (t: Tracked<T>): T {
  if (!t.done || t.value === undefined) throw new Error('promise still pending')
  return t.value
}
