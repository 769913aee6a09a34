/**
 * One queue for every mutation of a replica (code-style habit 6). Node runs one thread, but an
 * `await` between reading the ring and writing it back lets another handler interleave and one
 * of the two writes is lost; running every read-modify-write as one queued task rules that out.
 * Tasks run one at a time in submission order; a failing task rejects its own promise only.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve()
  #pending = 0

  run<T> (task: () => T | Promise<T>): Promise<T> {
    this.#pending++
    const p = this.#tail.then(task).finally(() => { this.#pending-- })
    this.#tail = p.catch(() => undefined)
    return p
  }

  /** Tasks submitted and not finished yet. */
  get pending (): number { return this.#pending }

  /** Resolves once every task submitted so far has finished. */
  async idle (): Promise<void> {
    await this.#tail
  }
}
