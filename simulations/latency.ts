/**
 * Per-link network behaviour: a one-way latency distribution plus loss, duplication and
 * reordering probabilities. A scenario gives a default profile and may give a function that
 * picks a profile per (from, to) link, e.g. slower links between zones.
 */
import type { Random } from '../common/random.ts'
import { normal, uniform } from './random.ts'

export type Latency =
  | { kind: 'fixed', ms: number }
  | { kind: 'uniform', minMs: number, maxMs: number }
  /** Long-tailed: `median · e^(sigma · N(0,1))`, capped at `maxMs`. */
  | { kind: 'lognormal', medianMs: number, sigma: number, maxMs: number }

export interface LinkProfile {
  latency: Latency
  /** Probability that a gossip message (delta) is lost on this link. */
  loss: number
  /** Probability that one leg of a request (the request or its answer) is lost. */
  requestLoss: number
  /** Probability that a gossip message is delivered twice (the copy with its own latency). */
  duplicate: number
  /** Probability that a message is held back by up to `reorderMs` extra, so later ones overtake it. */
  reorder: number
  reorderMs: number
}

export const defaultLink: LinkProfile = {
  latency: { kind: 'uniform', minMs: 1, maxMs: 5 },
  loss: 0,
  requestLoss: 0,
  duplicate: 0,
  reorder: 0,
  reorderMs: 50,
}

export function link (overrides: Partial<LinkProfile> = {}): LinkProfile {
  return { ...defaultLink, ...overrides }
}

export function sampleLatency (l: Latency, r: Random): number {
  switch (l.kind) {
    case 'fixed': return l.ms
    case 'uniform': return uniform(r, l.minMs, l.maxMs)
    case 'lognormal': return Math.min(l.maxMs, l.medianMs * Math.exp(l.sigma * normal(r)))
  }
}

/** One delivery's delay on `p` (latency plus a reordering hold-back), in ms. */
export function deliveryDelay (p: LinkProfile, r: Random): number {
  const base = sampleLatency(p.latency, r)
  return p.reorder > 0 && r.next() < p.reorder ? base + uniform(r, 0, p.reorderMs) : base
}
