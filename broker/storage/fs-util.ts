/**
 * Small synchronous file helpers. Storage does its writes and reads with positional sync calls
 * on long-lived fds: writes land in the page cache in event-loop order (no interleaving), and
 * only fdatasync, the slow part, is asynchronous.
 */
import { closeSync, fdatasync, fsyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Reads up to `length` bytes at `position`, looping over short reads; returns bytes read. */
export function readFully (fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

/** Writes all of `buf` at `position`, looping over short writes. */
export function writeFully (fd: number, buf: Uint8Array, position: number): void {
  let done = 0
  while (done < buf.length) {
    done += writeSync(fd, buf, done, buf.length - done, position + done)
  }
}

export function fdatasyncAsync (fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (err) => { if (err === null) resolve(); else reject(err) })
  })
}

/** Makes a directory's entries (created, renamed, deleted files) durable. */
export function fsyncDir (dir: string): void {
  const fd = openSync(dir, 'r')
  try { fsyncSync(fd) } finally { closeSync(fd) }
}

/**
 * Replaces `path` atomically: write a temp file, fsync it, rename over, fsync the directory.
 * A crash leaves either the old or the new content, never a mix.
 */
export function writeFileAtomic (path: string, data: Uint8Array): void {
  const tmp = path + '.tmp'
  const fd = openSync(tmp, 'w')
  try {
    writeFully(fd, data, 0)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  fsyncDir(dirname(path))
}
