import { access, rename } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { QUARANTINE_DIR, mkdirDurable } from './layout.ts'

/**
 * Damaged blocks are moved aside, never deleted: an operator can inspect or repair them, and the
 * node goes on with the rest. The name keeps the time and the original place, so several copies
 * of the same path (damaged again after a repair) coexist:
 * `quarantine/<ms>-<original path relative to the root, "/" replaced by "__">`.
 */
export async function moveToQuarantine (root: string, path: string, nowMs: number): Promise<string> {
  const dir = await mkdirDurable(root, QUARANTINE_DIR)
  const base = `${Math.floor(nowMs)}-${relative(root, path).split(sep).join('__')}`
  let target = join(dir, base)
  for (let n = 1; await exists(target); n++) target = join(dir, `${base}.${n}`)
  await rename(path, target)
  return target
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}
