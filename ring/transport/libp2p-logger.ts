/**
 * Routes libp2p's internal logging (its `debug`-style ComponentLogger) into the injected pino
 * logger, so nothing of libp2p writes to stderr on its own. libp2p logs a great deal, and reports
 * routine events (a peer hanging up, a refused dial) as errors, so its messages go to `trace`
 * and its errors to `debug`: visible when asked for (`LIVESTORE_LOG_LEVEL=trace`), silent
 * otherwise. Messages are only formatted when their level is enabled.
 */
import { format } from 'node:util'
import type { ComponentLogger, Logger as Libp2pLogger } from '@libp2p/interface'
import type { Logger } from '../../common/logger.ts'

/** libp2p's own format directives (%p peer id, %a multiaddr, %b/%t bytes, %c cid, %e error) print as strings. */
function render (formatter: unknown, args: unknown[]): string {
  if (typeof formatter !== 'string') return format(formatter, ...args)
  return format(formatter.replace(/%[pabtce]/g, '%s'), ...args)
}

function scoped (logger: Logger, component: string): Libp2pLogger {
  const log = (formatter: unknown, ...args: unknown[]): void => {
    if (logger.isLevelEnabled('trace')) logger.trace({ component }, render(formatter, args))
  }
  return Object.assign(log, {
    error (formatter: unknown, ...args: unknown[]): void {
      if (logger.isLevelEnabled('debug')) logger.debug({ component }, render(formatter, args))
    },
    trace (formatter: unknown, ...args: unknown[]): void {
      if (logger.isLevelEnabled('trace')) logger.trace({ component }, render(formatter, args))
    },
    enabled: logger.isLevelEnabled('trace'),
    newScope: (name: string) => scoped(logger, `${component}:${name}`),
  })
}

export function libp2pLogger (logger: Logger): ComponentLogger {
  return { forComponent: (name) => scoped(logger, name) }
}
