/**
 * Turns leftover command-line words into config overrides by dotted key:
 * `--broker.port 9093`, `--broker.port=9093`, `--kafka.brokers a:9092,b:9092`.
 * Anything that is not of that form is returned as a problem, so typos fail loudly.
 */
export function parseKeyFlags (words: readonly string[]): { flags: Record<string, string>, problems: string[] } {
  const flags: Record<string, string> = {}
  const problems: string[] = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string
    const m = /^--([a-z0-9_]+(?:\.[a-z0-9_]+)+)(?:=(.*))?$/.exec(w)
    if (m === null) { problems.push(`unexpected argument ${JSON.stringify(w)} (config overrides look like --section.key=value)`); continue }
    const key = m[1] as string
    if (m[2] !== undefined) { flags[key] = m[2]; continue }
    const next = words[i + 1]
    if (next === undefined || next.startsWith('--')) { problems.push(`--${key} needs a value`); continue }
    flags[key] = next
    i++
  }
  return { flags, problems }
}
