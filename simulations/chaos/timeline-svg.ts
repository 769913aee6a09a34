import { escapeXml, ticks } from '../svg.ts'
import type { FaultWindow } from './faults.ts'
import type { Second } from './prober.ts'

/**
 * The chaos timeline as SVG: two panels over seconds of the run — probe queries per second (ok,
 * failed while every partition had a live owner, excused) and spans acknowledged per second —
 * with every fault window shaded and labelled (lighter: from the heal until the ring was healthy). Hand-written like simulations/svg.ts (whose tick
 * and escaping helpers it uses), because that chart draws marks, not shaded windows.
 */
interface PanelSeries { name: string, color: string, values: readonly number[] }

const W = 860
const M = { left: 64, right: 16 }
const PANEL_H = 190
const num = (v: number): string => v.toFixed(1)

function panel (top: number, title: string, yLabel: string, seconds: number, series: readonly PanelSeries[], windows: readonly FaultWindow[]): string[] {
  const ph = PANEL_H - 40
  const pw = W - M.left - M.right
  const yMax = Math.max(1, ...series.flatMap((s) => s.values)) * 1.1
  const x = (v: number): number => M.left + (v / Math.max(1, seconds)) * pw
  const y = (v: number): number => top + 24 + ph - (v / yMax) * ph
  const out: string[] = [`<text x="${W / 2}" y="${top + 16}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(title)}</text>`]
  for (const [i, w] of windows.entries()) {
    const x0 = x(w.start)
    const x1 = Math.max(x0 + 2, x(w.end))
    out.push(`<rect x="${num(x0)}" y="${top + 24}" width="${num(x1 - x0)}" height="${ph}" fill="${w.note?.startsWith('skipped') === true ? '#dddddd' : '#f6c7c7'}" fill-opacity="0.6"><title>${escapeXml(w.label)}</title></rect>`)
    // Lighter: from the heal until the ring was healthy again.
    if (w.reconvergeMs !== undefined) out.push(`<rect x="${num(x1)}" y="${top + 24}" width="${num(x(w.end + w.reconvergeMs / 1000) - x1)}" height="${ph}" fill="#f6c7c7" fill-opacity="0.25"/>`)
    out.push(`<text x="${num(x0 + 2)}" y="${top + 36 + (i % 3) * 11}" fill="#7a2020">${escapeXml(w.label)}</text>`)
  }
  for (const t of ticks(0, yMax)) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${num(y(t))}" y2="${num(y(t))}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${M.left - 6}" y="${num(y(t) + 4)}" text-anchor="end">${t}</text>`)
  }
  for (const t of ticks(0, seconds, 10)) out.push(`<text x="${num(x(t))}" y="${top + 24 + ph + 14}" text-anchor="middle">${t}</text>`)
  out.push(`<rect x="${M.left}" y="${top + 24}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text transform="translate(14 ${top + 24 + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`)
  let lx = M.left
  for (const s of series) {
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.values.map((v, i) => `${num(x(i + 0.5))},${num(y(v))}`).join(' ')}"/>`)
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${top + PANEL_H - 2}" y2="${top + PANEL_H - 2}" stroke="${s.color}" stroke-width="2"/><text x="${lx + 22}" y="${top + PANEL_H + 2}">${escapeXml(s.name)}</text>`)
    lx += 40 + s.name.length * 6.5
  }
  return out
}

export function timelineSvg (title: string, timeline: readonly Second[], windows: readonly FaultWindow[]): string {
  const seconds = Math.max(timeline.length, ...windows.map((w) => Math.ceil(w.end)))
  const height = 2 * (PANEL_H + 20) + 30
  const acked = timeline.map((s, i) => Math.max(0, s.acked - (timeline[i - 1]?.acked ?? s.acked)))
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${height}" fill="white"/>`,
    ...panel(0, `${title}: probe queries per second (shaded: fault windows)`, 'queries / s', seconds, [
      { name: 'ok', color: '#2a9d3a', values: timeline.map((s) => s.ok) },
      { name: 'failed (partitions covered)', color: '#d62728', values: timeline.map((s) => s.failed) },
      { name: 'failed, excused (a partition had no live owner)', color: '#ff9f1c', values: timeline.map((s) => s.excused) },
    ], windows),
    ...panel(PANEL_H + 20, 'spans acknowledged per second', 'spans / s', seconds, [{ name: 'acknowledged', color: '#1f77b4', values: acked }], windows),
    `<text x="${W / 2}" y="${height - 6}" text-anchor="middle">seconds since the load started</text>`,
    '</svg>',
  ].join('\n') + '\n'
}
