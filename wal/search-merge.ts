/**
 * Runs up to `concurrency` async sources at once and yields their items as they come, starting
 * sources in the given order (so the first ones are read first). Each running source has at most
 * one item in flight and asks for the next only once the consumer took the previous one, so a
 * slow consumer holds the producers back. When the consumer stops early, or a source fails, the
 * running sources are closed (return()) before this generator ends; a source blocked in a read
 * finishes that read first, so callers also abort the signal the sources check (query/search
 * does). `signal` aborting rejects at once with its reason.
 */
export async function * mergeBounded<T> (
  sources: readonly (() => AsyncIterable<T>)[],
  concurrency: number,
  signal?: AbortSignal,
  onSourceDone?: (index: number) => void,
): AsyncGenerator<T> {
  type Step = { index: number, result: IteratorResult<T> }
  interface Active { it: AsyncIterator<T>, pending: Promise<Step> }
  const active = new Map<number, Active>()
  let next = 0
  const pull = (index: number, it: AsyncIterator<T>): Promise<Step> => {
    const p = it.next().then((result) => ({ index, result }))
    p.catch(() => undefined) // observed by the race below; never an unhandled rejection
    return p
  }
  const fill = (): void => {
    while (active.size < Math.max(1, concurrency) && next < sources.length) {
      const index = next++
      const it = sources[index]!()[Symbol.asyncIterator]()
      active.set(index, { it, pending: pull(index, it) })
    }
  }
  const aborted = signal === undefined ? undefined : abortPromise(signal)
  try {
    signal?.throwIfAborted()
    fill()
    while (active.size > 0) {
      const races: Promise<Step>[] = [...active.values()].map((a) => a.pending)
      if (aborted !== undefined) races.push(aborted.promise)
      const { index, result } = await Promise.race(races)
      const a = active.get(index)!
      if (result.done === true) {
        active.delete(index)
        onSourceDone?.(index)
        fill()
        continue
      }
      yield result.value
      a.pending = pull(index, a.it)
    }
  } finally {
    aborted?.dispose()
    await Promise.all([...active.values()].map(async (a) => {
      try {
        await a.it.return?.()
      } catch {
        // A source failing while it is closed has nothing more to report.
      }
    }))
  }
}

function abortPromise (signal: AbortSignal): { promise: Promise<never>, dispose: () => void } {
  let onAbort = (): void => undefined
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  promise.catch(() => undefined)
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) }
}
