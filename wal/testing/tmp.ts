import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh temporary directory and its removal, for block tests. */
export function tempDir (prefix = 'livestore-wal-'): { path: string, remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A clock that always says `ms`. */
export const fixedClock = (ms = 1_763_700_000_000): { now: () => number } => ({ now: () => ms })
