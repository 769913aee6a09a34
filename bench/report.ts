/** Prints one benchmark figure as a JSON line (the format every benchmark uses). */
export function report (bench: string, metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, metric, value: Math.round(value * 100) / 100, unit, ...extra }))
}
