/**
 * Typed ring events (code-style habit 12), separate from logs. `node/` subscribes to them: on
 * `partition:assigned` it starts that partition's reader, on `partition:revoked` it stops it.
 * Tests await them with `once` rather than polling.
 *
 * A tiny emitter rather than `EventTarget`: handlers get the detail object directly, `on`
 * returns the unsubscribe function, and a throwing handler neither stops the other handlers nor
 * the ring code that emitted the event (it is reported to `onError`).
 */
import type { Hlc } from './hlc.ts'
import type { RingState } from './model.ts'

export interface RingEventMap {
  /** The local replica changed: a local edit or a merge of gossip that changed something. */
  'ring:changed': { readonly state: RingState, readonly delta: RingState, readonly source: 'local' | 'remote' }
  /** This node became the consumer of a partition (it is the zone's chosen owner). */
  'partition:assigned': { readonly partition: number }
  /** This node stopped being the consumer of a partition. */
  'partition:revoked': { readonly partition: number, readonly reason: RevokeReason }
  /** A member's heartbeat went stale (older than `heartbeat_timeout`) in this node's view. */
  'member:suspect': { readonly nodeId: string, readonly lastHeartbeat: Hlc }
}

/**
 * Why a partition was revoked: another owner of the zone is now preferred (`standby`), this
 * node's ownership or the partition is gone (`ownership`), or the lifecycler stops (`stopping`).
 */
export type RevokeReason = 'standby' | 'ownership' | 'stopping'

export type RingEventType = keyof RingEventMap
type Handler<K extends RingEventType> = (detail: RingEventMap[K]) => void

export interface RingEventsOptions {
  /** Called when a handler throws; by default the error is dropped. */
  onError?: (err: unknown, type: RingEventType) => void
}

export class RingEvents {
  readonly #handlers = new Map<RingEventType, Set<Handler<never>>>()
  readonly #onError: (err: unknown, type: RingEventType) => void

  constructor (options: RingEventsOptions = {}) {
    this.#onError = options.onError ?? (() => undefined)
  }

  /** Subscribes; returns the unsubscribe function (calling it twice is harmless). */
  on<K extends RingEventType> (type: K, handler: Handler<K>): () => void {
    let set = this.#handlers.get(type)
    if (set === undefined) this.#handlers.set(type, set = new Set())
    const h = handler as Handler<never>
    set.add(h)
    return () => { set.delete(h) }
  }

  /** Resolves with the next event of `type` matching `filter`; rejects when `signal` aborts. */
  once<K extends RingEventType> (type: K, filter: (detail: RingEventMap[K]) => boolean = () => true, signal?: AbortSignal): Promise<RingEventMap[K]> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) { reject(signal.reason); return }
      const onAbort = (): void => { off(); reject(signal?.reason) }
      const off = this.on(type, (d) => {
        if (!filter(d)) return
        off()
        signal?.removeEventListener('abort', onAbort)
        resolve(d)
      })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  emit<K extends RingEventType> (type: K, detail: RingEventMap[K]): void {
    const set = this.#handlers.get(type)
    if (set === undefined) return
    for (const h of [...set]) {
      try { (h as Handler<K>)(detail) } catch (err) { this.#onError(err, type) }
    }
  }

  listenerCount (type: RingEventType): number {
    return this.#handlers.get(type)?.size ?? 0
  }
}
