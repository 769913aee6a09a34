import { spawn, spawnSync } from 'node:child_process'

/** Why kcat tests skip here, or false when kcat is installed. */
export const kcatMissing: string | false = spawnSync('kcat', ['-V']).error !== undefined
  ? 'kcat is not installed (apt-get install -y kcat; .ci/run installs it)'
  : false

/** Runs kcat with the given arguments and stdin, failing after `timeoutMs`. */
export function kcat (args: string[], input = '', timeoutMs = 20_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`kcat ${args.join(' ')} timed out\n${stderr}`)) }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.stdin.end(input)
  })
}
