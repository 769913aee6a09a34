import { Registry, collectDefaultMetrics } from 'prom-client'

/**
 * A fresh prom-client registry for one node (never the global one, so several nodes and tests
 * can share a process). Process metrics are registered on it with Tempo's names.
 */
export function createRegistry (opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry()
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  return registry
}
