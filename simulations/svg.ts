/**
 * Hand-written SVG line charts for the reports (no dependency): one or more series over virtual
 * time, axes with round ticks, a legend, and dashed vertical marks for the scenario's actions.
 * Output is deterministic text (fixed decimals), so two runs of one seed write identical files.
 */
export interface Series {
  name: string
  color: string
  /** [x, y]; a null y breaks the line. */
  points: readonly (readonly [number, number | null])[]
}

export interface ChartOptions {
  title: string
  yLabel: string
  xLabel?: string
  series: readonly Series[]
  yMin?: number
  yMax?: number
  /** Vertical marks (scenario actions) at x, labelled (short: a number the report explains). */
  marks?: readonly { x: number, label: string }[]
  width?: number
  height?: number
}

const margin = { left: 64, right: 16, top: 32, bottom: 64 }

export function escapeXml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Round tick values covering [min, max], about `count` of them (steps of 1, 2 or 5 × 10^k). */
export function ticks (min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min]
  const raw = (max - min) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

const num = (v: number): string => v.toFixed(1)

function label (v: number): string {
  if (Math.abs(v) >= 10_000) return `${Math.round(v / 1000)}k`
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)))
}

export function lineChart (o: ChartOptions): string {
  const width = o.width ?? 760
  const height = o.height ?? 280
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]))
  const ys = o.series.flatMap((s) => s.points.flatMap((p) => p[1] === null ? [] : [p[1]]))
  const xMin = Math.min(0, ...xs)
  const xMax = Math.max(xMin + 1, ...xs)
  const yMin = o.yMin ?? Math.min(0, ...ys)
  const yMax = o.yMax ?? Math.max(yMin + 1, ...ys.map((y) => y * 1.05))
  const pw = width - margin.left - margin.right
  const ph = height - margin.top - margin.bottom
  const x = (v: number): number => margin.left + ((v - xMin) / (xMax - xMin)) * pw
  const y = (v: number): number => margin.top + ph - ((v - yMin) / (yMax - yMin)) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`)
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`)
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`)
  for (const t of ticks(yMin, yMax)) {
    out.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${num(y(t))}" y2="${num(y(t))}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${margin.left - 6}" y="${num(y(t) + 4)}" text-anchor="end">${escapeXml(label(t))}</text>`)
  }
  for (const t of ticks(xMin, xMax, 8)) {
    out.push(`<line x1="${num(x(t))}" x2="${num(x(t))}" y1="${margin.top + ph}" y2="${margin.top + ph + 4}" stroke="#333"/>`)
    out.push(`<text x="${num(x(t))}" y="${margin.top + ph + 16}" text-anchor="middle">${escapeXml(label(t))}</text>`)
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${margin.left + pw / 2}" y="${height - 30}" text-anchor="middle">${escapeXml(o.xLabel ?? 'virtual time (s)')}</text>`)
  out.push(`<text transform="translate(14 ${margin.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`)
  for (const [i, m] of (o.marks ?? []).entries()) {
    if (m.x < xMin || m.x > xMax) continue
    out.push(`<line x1="${num(x(m.x))}" x2="${num(x(m.x))}" y1="${margin.top}" y2="${margin.top + ph}" stroke="#999" stroke-dasharray="4 3"><title>${escapeXml(m.label)}</title></line>`)
    out.push(`<text x="${num(x(m.x) + 2)}" y="${margin.top + 11 + (i % 4) * 11}" fill="#666">${escapeXml(m.label)}</text>`)
  }
  // Earlier series are drawn wider, so a later one on top of it leaves it visible at its edges.
  for (const [i, s] of o.series.entries()) {
    const strokeWidth = 1.5 + 1.5 * (o.series.length - 1 - i)
    const segments: string[][] = [[]]
    for (const [px, py] of s.points) {
      if (py === null) { segments.push([]); continue }
      segments[segments.length - 1]?.push(`${num(x(px))},${num(y(Math.min(yMax, Math.max(yMin, py))))}`)
    }
    for (const seg of segments) {
      if (seg.length === 1) out.push(`<circle cx="${seg[0]?.split(',')[0]}" cy="${seg[0]?.split(',')[1]}" r="1.5" fill="${s.color}"/>`)
      else if (seg.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${strokeWidth}" stroke-opacity="0.85" points="${seg.join(' ')}"/>`)
    }
  }
  let lx = margin.left
  for (const s of o.series) {
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${height - 10}" y2="${height - 10}" stroke="${s.color}" stroke-width="2"/>`)
    out.push(`<text x="${lx + 22}" y="${height - 6}">${escapeXml(s.name)}</text>`)
    lx += 40 + s.name.length * 6.5
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
