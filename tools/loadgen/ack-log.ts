import { createWriteStream, openSync } from 'node:fs'
import { finished } from 'node:stream/promises'
import type { AcceptedSpan } from './send.ts'

/**
 * The acknowledgement log of `livestore gen --ack-log <file>`: one line `<traceIdHex> <spanIdHex>`
 * per span the server acknowledged, written once per request after its 2xx answer. A checker
 * (test/integration/crash-restart.test.ts) reads it to know which spans must be queryable. A gen
 * killed mid-way loses at most the lines not yet written, which is safe: an unlogged span is
 * merely unchecked.
 */

/** The log lines of one request's spans (each ends in a newline). */
export function formatAckLines (spans: readonly AcceptedSpan[]): string {
  let out = ''
  for (const s of spans) out += `${s.traceId.toString('hex')} ${s.spanId.toString('hex')}\n`
  return out
}

/** One acknowledged span, as hex ids. */
export interface AckedSpan { traceId: string, spanId: string }

/**
 * Parses an ack log. Only whole lines count: a last line without its newline may still be being
 * written and is ignored, as is anything that is not two hex ids (returned in `bad`).
 */
export function parseAckLog (text: string): { spans: AckedSpan[], bad: number } {
  const spans: AckedSpan[] = []
  let bad = 0
  const end = text.lastIndexOf('\n')
  if (end < 0) return { spans, bad }
  for (const line of text.slice(0, end).split('\n')) {
    const m = /^([0-9a-f]{32}) ([0-9a-f]{16})$/.exec(line)
    if (m === null) bad++
    else spans.push({ traceId: m[1] as string, spanId: m[2] as string })
  }
  return { spans, bad }
}

export interface AckLogWriter {
  /** Appends a request's spans (one write; never throws, a failure is reported by `close`). */
  append: (spans: readonly AcceptedSpan[]) => void
  /** Flushes what was appended and closes the file; rejects with the first write error. */
  close: () => Promise<void>
}

/**
 * Opens `path` for appending (created if missing; opened at once, so a bad path fails here) and
 * returns a writer. `onError` is told of the first write error, e.g. to stop the run.
 */
export function openAckLog (path: string, onError: (err: Error) => void = () => undefined): AckLogWriter {
  const stream = createWriteStream(path, { fd: openSync(path, 'a') })
  let failure: Error | undefined
  stream.on('error', (err) => {
    if (failure !== undefined) return
    failure = err
    onError(err)
  })
  return {
    append: (spans) => {
      if (spans.length > 0 && failure === undefined) stream.write(formatAckLines(spans))
    },
    close: async () => {
      stream.end()
      await finished(stream).catch((err: unknown) => { throw failure ?? err })
      if (failure !== undefined) throw failure
    },
  }
}
