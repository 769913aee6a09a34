import { readFileSync } from 'node:fs'
import type { BuildInfo } from '../query/app.ts'

/** Version from package.json; the rest is filled when a release build sets LIVESTORE_BUILD_*. */
export function buildInfo (): BuildInfo {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return {
    version: pkg.version,
    revision: process.env.LIVESTORE_BUILD_REVISION ?? '',
    branch: process.env.LIVESTORE_BUILD_BRANCH ?? '',
    buildUser: process.env.LIVESTORE_BUILD_USER ?? '',
    buildDate: process.env.LIVESTORE_BUILD_DATE ?? '',
  }
}
