import type { Clock, Timer } from '../common/clock.ts'

/** The real clock. Timers are unref'd: a pending timer alone never keeps the process alive. */
export function systemClock (): Clock {
  return {
    now: () => Date.now(),
    setTimeout (fn, ms): Timer {
      const t = setTimeout(fn, ms)
      t.unref()
      return { cancel: () => clearTimeout(t) }
    },
    setInterval (fn, ms): Timer {
      const t = setInterval(fn, ms)
      t.unref()
      return { cancel: () => clearInterval(t) }
    },
    sleep (ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted === true) { reject(signal.reason); return }
        const onAbort = (): void => { clearTimeout(t); reject(signal?.reason) }
        const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    },
  }
}
