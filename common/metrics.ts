import { Counter, Gauge, Histogram } from 'prom-client'
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration, Registry } from 'prom-client'

/**
 * Metrics shared by several components (e.g. `tempo_discarded_spans_total`, counted by the
 * distributor and the store) must be registered once per registry: these return the metric
 * already on the registry, or register it.
 */
export function counterOn<T extends string> (registry: Registry, config: CounterConfiguration<T>): Counter<T> {
  return (registry.getSingleMetric(config.name) as Counter<T> | undefined) ?? new Counter({ ...config, registers: [registry] })
}

export function gaugeOn<T extends string> (registry: Registry, config: GaugeConfiguration<T>): Gauge<T> {
  return (registry.getSingleMetric(config.name) as Gauge<T> | undefined) ?? new Gauge({ ...config, registers: [registry] })
}

export function histogramOn<T extends string> (registry: Registry, config: HistogramConfiguration<T>): Histogram<T> {
  return (registry.getSingleMetric(config.name) as Histogram<T> | undefined) ?? new Histogram({ ...config, registers: [registry] })
}

/** `tempo_discarded_spans_total{reason,tenant}`: spans refused by a limit or validation. */
export function discardedSpansCounter (registry: Registry): Counter<'reason' | 'tenant'> {
  return counterOn(registry, { name: 'tempo_discarded_spans_total', help: 'Spans discarded, by reason and tenant.', labelNames: ['reason', 'tenant'] })
}
