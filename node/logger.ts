import { pino } from 'pino'
import type { DestinationStream } from 'pino'
import type { Logger } from '../common/logger.ts'

/**
 * The root logger of one node. Components get children scoped with fixed fields
 * (`logger.child({ component: 'broker' })`), as tempo's `log.With` does.
 */
export function createLogger (opts: { level: string, name?: string, destination?: DestinationStream }): Logger {
  return pino({ level: opts.level, name: opts.name ?? 'livestore', base: { pid: process.pid } }, opts.destination ?? pino.destination({ fd: 2, sync: false }))
}
