import { Worker } from 'node:worker_threads'
import type { BlockEncoder } from './encoder.ts'
import type { CompleteJob, SegmentJob, SegmentResult } from './encoder-jobs.ts'
import { errorFromWire, packSegmentJob } from './encoder-wire.ts'
import type { FromWorker, ToWorker } from './encoder-wire.ts'
import type { BlockMeta } from './meta.ts'

export interface WorkerEncoderOptions {
  /** The worker's entry module (default ./encoder-worker.js); tests substitute one that can crash. */
  entry?: URL
}

interface Task {
  message: ToWorker
  transfer: ArrayBuffer[]
  resolve: (value: unknown) => void
  reject: (err: Error) => void
}

interface Slot { worker: Worker, task: Task | null, error: unknown }

/**
 * A pool of `threads` worker threads running encoder-thread.ts, started on demand. A worker runs
 * one job at a time; jobs wait in FIFO order while every worker is busy. A worker that dies (an
 * uncaught error, a crash, out of memory) fails the job it was running and is replaced by the
 * next job that needs a thread. Idle workers are unref'd, so a pool never keeps a process alive
 * by itself; close() terminates them and fails the jobs still queued.
 */
export function workerBlockEncoder (threads: number, options: WorkerEncoderOptions = {}): BlockEncoder {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`encoder threads must be a positive integer, got ${threads}`)
  return new WorkerPool(threads, options.entry ?? new URL('./encoder-worker.js', import.meta.url))
}

class WorkerPool implements BlockEncoder {
  readonly #threads: number
  readonly #entry: URL
  readonly #slots = new Set<Slot>()
  readonly #queue: Task[] = []
  #nextId = 1
  #closed = false

  constructor (threads: number, entry: URL) {
    this.#threads = threads
    this.#entry = entry
  }

  writeSegment (job: SegmentJob): Promise<SegmentResult> {
    const { wire, transfer } = packSegmentJob(job)
    return this.#submit((id) => ({ id, kind: 'segment', job: wire }), transfer)
  }

  completeBlock (job: CompleteJob): Promise<BlockMeta> {
    return this.#submit((id) => ({ id, kind: 'complete', job: { ...job, segments: [...job.segments] } }), [])
  }

  async close (): Promise<void> {
    this.#closed = true
    for (const task of this.#queue.splice(0)) task.reject(new Error('block encoder closed'))
    await Promise.all([...this.#slots].map((s) => s.worker.terminate()))
  }

  #submit<T> (build: (id: number) => ToWorker, transfer: ArrayBuffer[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('block encoder closed'))
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ message: build(this.#nextId++), transfer, resolve: resolve as (v: unknown) => void, reject })
      this.#dispatch()
    })
  }

  #dispatch (): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let slot: Slot | undefined
      for (const s of this.#slots) if (s.task === null) { slot = s; break }
      if (slot === undefined) {
        if (this.#slots.size >= this.#threads) return
        slot = this.#spawn()
      }
      const task = this.#queue.shift()!
      slot.task = task
      slot.worker.ref()
      slot.worker.postMessage(task.message, task.transfer)
    }
  }

  #spawn (): Slot {
    // execArgv: [] — the entry registers its own loader; inherited --import flags (the test runner's) would race it.
    const worker = new Worker(this.#entry, { execArgv: [] })
    const slot: Slot = { worker, task: null, error: undefined }
    worker.unref()
    worker.on('message', (m: FromWorker) => {
      const task = slot.task
      if (task === null || task.message.id !== m.id) return
      slot.task = null
      worker.unref()
      if (m.ok) task.resolve(m.value)
      else task.reject(errorFromWire(m.error))
      this.#dispatch()
    })
    worker.on('error', (err) => { slot.error = err })
    worker.on('exit', (code) => {
      this.#slots.delete(slot)
      const task = slot.task
      slot.task = null
      if (task !== null) {
        const why = slot.error instanceof Error ? `: ${slot.error.message}` : ''
        task.reject(new Error(`block encoder worker exited with code ${code} during a ${task.message.kind} job${why}`, { cause: slot.error }))
      }
      this.#dispatch()
    })
    this.#slots.add(slot)
    return slot
  }
}
