/**
 * Network namespaces for `livestore cluster --netns` (Linux, root, iproute2): every zone runs in
 * its own namespace with its own address, joined to a bridge in the host namespace by a veth
 * pair, so a zone can be cut off the network for real — its packets dropped, its TCP
 * connections retransmitting into the void — rather than only killed. The broker listens on the
 * bridge's address; the nodes of a zone share their namespace's address (ports differ).
 *
 *   host namespace:  bridge <bridge> 10.213.S.1/24 ── <hostVeth a> ┐ ── <hostVeth b> ┐ …
 *   namespace <ns a>:                                 <nsVeth a> 10.213.S.10/24    │
 *   namespace <ns b>:                                                  <nsVeth b> 10.213.S.11/24
 *
 * `S` and the names come from an id (the cluster command's pid), so two clusters on one host do
 * not collide. Cutting a zone sets its host-side veth down (`cutZone`), healing sets it up.
 * Every command goes through an injected runner, so the plan is testable without root.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/** Runs one command (argv[0] is the program); rejects with its stderr on failure. */
export type RunCommand = (argv: readonly string[]) => Promise<void>

export interface ZoneNetwork {
  readonly ns: string
  /** The veth end left in the host namespace, on the bridge: down = the zone is cut off. */
  readonly hostVeth: string
  readonly nsVeth: string
  /** The zone's address (its nodes listen and advertise here). */
  readonly address: string
}

export interface NetnsPlan {
  readonly bridge: string
  /** The bridge's address in the host namespace: the broker listens here. */
  readonly hostAddress: string
  readonly zones: ReadonlyMap<string, ZoneNetwork>
}

const prefixLength = 24

/** Names and addresses for `zones`; `id` keeps them apart from another cluster's (interface names ≤ 15 bytes). */
export function planNetns (zones: readonly string[], id: number): NetnsPlan {
  if (zones.length > 200) throw new RangeError(`at most 200 zones in network namespaces, got ${zones.length}`)
  const tag = String(id % 100_000)
  const subnet = `10.213.${id % 250}`
  return {
    bridge: `lsbr${tag}`,
    hostAddress: `${subnet}.1`,
    zones: new Map(zones.map((z, i) => [z, { ns: `livestore-${tag}-${z}`, hostVeth: `ls${tag}${z}`, nsVeth: `ls${tag}${z}n`, address: `${subnet}.${10 + i}` }])),
  }
}

/** The commands that build the plan's network, in order. */
export function setupCommands (plan: NetnsPlan): string[][] {
  const cmds = [
    ['ip', 'link', 'add', plan.bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${plan.hostAddress}/${prefixLength}`, 'dev', plan.bridge],
    ['ip', 'link', 'set', plan.bridge, 'up'],
  ]
  for (const z of plan.zones.values()) {
    const inNs = (...argv: string[]): string[] => ['ip', 'netns', 'exec', z.ns, ...argv]
    cmds.push(
      ['ip', 'netns', 'add', z.ns],
      ['ip', 'link', 'add', z.hostVeth, 'type', 'veth', 'peer', 'name', z.nsVeth],
      ['ip', 'link', 'set', z.nsVeth, 'netns', z.ns],
      ['ip', 'link', 'set', z.hostVeth, 'master', plan.bridge],
      ['ip', 'link', 'set', z.hostVeth, 'up'],
      inNs('ip', 'addr', 'add', `${z.address}/${prefixLength}`, 'dev', z.nsVeth),
      inNs('ip', 'link', 'set', z.nsVeth, 'up'),
      inNs('ip', 'link', 'set', 'lo', 'up'),
    )
  }
  return cmds
}

/** The commands that remove it (deleting a namespace deletes its veth pair). */
export function teardownCommands (plan: NetnsPlan): string[][] {
  return [...[...plan.zones.values()].map((z) => ['ip', 'netns', 'del', z.ns]), ['ip', 'link', 'del', plan.bridge]]
}

/** Builds the network; on a failure, removes what was built and rethrows. */
export async function setupNetns (plan: NetnsPlan, run: RunCommand): Promise<void> {
  try {
    for (const cmd of setupCommands(plan)) await run(cmd)
  } catch (err) {
    await teardownNetns(plan, run)
    throw err
  }
}

/** Removes the network, going on past the parts that are already gone. */
export async function teardownNetns (plan: NetnsPlan, run: RunCommand): Promise<void> {
  for (const cmd of teardownCommands(plan)) await run(cmd).catch(() => undefined)
}

/** `argv` run inside the zone's namespace. */
export function inZone (plan: NetnsPlan, zone: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', zoneOf(plan, zone).ns, ...argv]
}

export function cutZone (plan: NetnsPlan, zone: string, run: RunCommand): Promise<void> {
  return run(['ip', 'link', 'set', zoneOf(plan, zone).hostVeth, 'down'])
}

export function healZone (plan: NetnsPlan, zone: string, run: RunCommand): Promise<void> {
  return run(['ip', 'link', 'set', zoneOf(plan, zone).hostVeth, 'up'])
}

function zoneOf (plan: NetnsPlan, zone: string): ZoneNetwork {
  const z = plan.zones.get(zone)
  if (z === undefined) throw new RangeError(`no network namespace for zone ${zone}`)
  return z
}

const execFileAsync = promisify(execFile)

/** The real runner: `execFile`, failing with the command and its stderr. */
export const runCommand: RunCommand = async (argv) => {
  try {
    await execFileAsync(argv[0] as string, argv.slice(1), { timeout: 10_000 })
  } catch (err) {
    const e = err as { stderr?: string, message: string }
    throw new Error(`${argv.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`, { cause: err })
  }
}

/**
 * Why network namespaces cannot be used here, or undefined when they can: not Linux, not root,
 * no `ip`, or the kernel refuses (a container without CAP_NET_ADMIN). Tries a throwaway namespace.
 */
export async function netnsUnavailable (run: RunCommand = runCommand, id = process.pid): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  const probe = `livestore-probe-${id}`
  try {
    await run(['ip', 'netns', 'add', probe])
  } catch (err) {
    return `cannot create a network namespace (iproute2 installed? CAP_NET_ADMIN?): ${(err as Error).message}`
  }
  await run(['ip', 'netns', 'del', probe]).catch(() => undefined)
  return undefined
}
