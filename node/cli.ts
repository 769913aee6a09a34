import { join } from 'node:path'
import { Command } from 'commander'
import { stringify } from 'yaml'
import { ConfigError, describeError } from '../common/errors.ts'
import { parseKeyFlags } from './cli-flags.ts'
import { loadConfig } from './config.ts'
import type { NodeConfig } from './config.ts'
import { configReference } from './config-reference.ts'
import { runGenCommand, runTraceCommand } from './client-commands.ts'
import type { GenOptions } from './client-commands.ts'
import { runBrokerProcess, runNodeProcess } from './process.ts'
import { runClusterCommand } from './cluster-command.ts'
import type { ClusterCommandOptions } from './cluster-command.ts'
import { runKeygenCommand } from './keygen-command.ts'

/** Loads the config from `--config`/LIVESTORE_CONFIG, the environment and key flags. */
function configFrom (configFile: string | undefined, words: string[], extra: Record<string, string> = {}): NodeConfig {
  const { flags, problems } = parseKeyFlags(words)
  if (problems.length > 0) throw new ConfigError(problems.map((p) => ({ key: 'command line', message: p })))
  return loadConfig({ file: configFile ?? process.env.LIVESTORE_CONFIG, env: process.env, flags: { ...flags, ...extra }, warn: (m) => process.stderr.write(`warning: ${m}\n`) })
}

interface StartOptions {
  config?: string
  dataDir?: string
  httpPort?: string
  otlpHttpPort?: string
  kafkaBrokers?: string
  embeddedKafkaPort?: string
  partitions?: string
}

/** The named `start` flags as config keys (they override the file and the environment). */
function startFlags (o: StartOptions): Record<string, string> {
  const f: Record<string, string> = {}
  if (o.dataDir !== undefined) {
    f['broker.data_dir'] = join(o.dataDir, 'broker')
    f['live_store.wal.path'] = join(o.dataDir, 'wal')
    f['memberlist.data_dir'] = join(o.dataDir, 'memberlist')
  }
  if (o.httpPort !== undefined) f['server.http_listen_port'] = o.httpPort
  if (o.otlpHttpPort !== undefined) f['distributor.otlp_http_listen_port'] = o.otlpHttpPort
  if (o.kafkaBrokers !== undefined) f['kafka.brokers'] = o.kafkaBrokers
  if (o.embeddedKafkaPort !== undefined) f['broker.port'] = o.embeddedKafkaPort
  if (o.partitions !== undefined) { f['kafka.topic_partitions'] = o.partitions; f['broker.partitions'] = o.partitions }
  return f
}

/** The `livestore` command line (commander). Returns when the command has finished. */
export async function main (argv: string[]): Promise<void> {
  const program = new Command('livestore')
    .description('A gossip-first, coordinator-free live-store for OpenTelemetry traces')
    .showHelpAfterError()

  program.command('start', { isDefault: true })
    .description('Run a live-store node (with the embedded Kafka broker when kafka.brokers is empty)')
    .option('-c, --config <file>', 'YAML config file (Tempo-style keys)')
    .option('--data-dir <dir>', 'root of local data: <dir>/broker for the embedded broker (broker.data_dir), <dir>/wal for the blocks (live_store.wal.path), <dir>/memberlist for the peer key')
    .option('--http-port <port>', 'query API, /metrics and /ready (server.http_listen_port)')
    .option('--otlp-http-port <port>', 'OTLP/HTTP receiver (distributor.otlp_http_listen_port)')
    .option('--kafka-brokers <list>', 'external Kafka, host:port,… (kafka.brokers); omit for the embedded broker')
    .option('--embedded-kafka-port <port>', 'port of the embedded broker (broker.port)')
    .option('--partitions <n>', 'partitions of the topic when it is created (kafka.topic_partitions, broker.partitions)')
    .allowUnknownOption().allowExcessArguments()
    .action(async (opts: StartOptions, cmd: Command) => {
      await runNodeProcess(configFrom(opts.config, cmd.args, startFlags(opts)))
    })

  program.command('broker')
    .description('Run the embedded Kafka-compatible broker on its own')
    .option('-c, --config <file>', 'YAML config file; its broker: section is used')
    .option('--host <address>', 'listen address (broker.host)')
    .option('--port <port>', 'TCP port (broker.port)')
    .option('--data-dir <dir>', 'data directory (broker.data_dir)')
    .option('--partitions <n>', 'partitions of auto-created topics (broker.partitions)')
    .allowUnknownOption().allowExcessArguments()
    .action(async (opts: { config?: string, host?: string, port?: string, dataDir?: string, partitions?: string }, cmd: Command) => {
      const extra: Record<string, string> = {}
      if (opts.host !== undefined) extra['broker.host'] = opts.host
      if (opts.port !== undefined) extra['broker.port'] = opts.port
      if (opts.dataDir !== undefined) extra['broker.data_dir'] = opts.dataDir
      if (opts.partitions !== undefined) extra['broker.partitions'] = opts.partitions
      await runBrokerProcess(configFrom(opts.config, cmd.args, extra))
    })

  program.command('keygen')
    .description('Write a new cluster pre-shared key (memberlist.key_file) to a file (mode 0600), or print it')
    .option('--out <file>', 'write the key to this file instead of stdout (refuses an existing file)')
    .option('--force', 'replace an existing --out file')
    .action(async (opts: { out?: string, force?: boolean }) => { await runKeygenCommand(opts) })

  program.command('cluster')
    .description('Run a local multi-zone cluster on loopback (or one network namespace per zone): the broker and zones × nodes-per-zone nodes as child processes, until SIGINT/SIGTERM')
    .option('--zones <n>', 'zones, named a, b, …', '2')
    .option('--nodes-per-zone <n>', 'nodes in each zone', '1')
    .option('--partitions <n>', 'Kafka partitions; every zone owns every partition, spread over its nodes', '2')
    .option('--data-dir <dir>', 'keep data, keys and logs here (default: a temporary directory removed at exit)')
    .option('--json', 'print exactly one JSON line per ready node on stdout: {"node","zone","pid","host","http","otlp"} (+ "netns","veth" with --netns)')
    .option('--netns', 'run each zone in its own network namespace on a bridge (Linux, root, iproute2), so `ip link set <veth> down` cuts a zone off')
    .option('--base-port <port>', 'consecutive ports from here: node k gets http base+3k, otlp base+3k+1, gossip base+3k+2; the broker the next one (default: free ports)')
    .option('--ready-timeout <d>', 'how long a node may take to answer /ready', '2m')
    .allowUnknownOption().allowExcessArguments()
    .action(async (opts: ClusterCommandOptions, cmd: Command) => {
      const { flags, problems } = parseKeyFlags(cmd.args)
      if (problems.length > 0) throw new ConfigError(problems.map((p) => ({ key: 'command line', message: p })))
      await runClusterCommand(opts, flags)
    })

  program.command('gen')
    .description('Send realistic OTLP traces (services, nested spans, attributes, errors) at a target rate')
    .option('--url <url>', 'OTLP/HTTP endpoint', 'http://localhost:4318')
    .option('--rate <spans/s>', 'target spans per second (default: as fast as possible)')
    .option('--duration <d>', 'how long to run, e.g. 30s (default 10s unless --traces)')
    .option('--traces <n>', 'stop after this many traces')
    .option('--concurrency <n>', 'requests in flight', '4')
    .option('--batch <spans>', 'spans per request', '100')
    .option('--encoding <e>', 'protobuf or json', 'protobuf')
    .option('--gzip', 'gzip request bodies')
    .option('--tenant <id>', 'X-Scope-OrgID to send')
    .option('--seed <n>', 'random seed (same seed, same traces)', '1')
    .option('--max-retries <n>', 'retries of a 429/502/503/504 or network error before a request counts as failed', '5')
    .option('--retry-backoff <d>', 'first retry delay, doubled each attempt, with jitter', '100ms')
    .option('--max-backoff <d>', 'longest retry delay (Retry-After included)', '5s')
    .option('--ack-log <file>', 'append "<trace id> <span id>" (hex) of every span a 2xx answer acknowledged to this file')
    .action(async (opts: GenOptions) => { await runGenCommand(opts) })

  program.command('trace <traceId>')
    .description('Print a trace as a terminal waterfall')
    .option('--url <url>', 'query API', 'http://localhost:3200')
    .option('--tenant <id>', 'X-Scope-OrgID to send')
    .action(async (id: string, opts: { url: string, tenant?: string }) => { await runTraceCommand(id, opts) })

  program.command('config')
    .description('Print the effective configuration as YAML, or the reference table')
    .option('-c, --config <file>', 'YAML config file')
    .option('--reference', 'print every key with its type, default and environment variable (Markdown)')
    .allowUnknownOption().allowExcessArguments()
    .action((opts: { config?: string, reference?: boolean }, cmd: Command) => {
      process.stdout.write(opts.reference === true ? configReference() + '\n' : stringify(configFrom(opts.config, cmd.args)))
    })

  try {
    await program.parseAsync(argv)
  } catch (err) {
    process.stderr.write(`livestore: ${err instanceof ConfigError ? err.message : describeError(err)}\n`)
    process.exitCode = err instanceof ConfigError ? 2 : 1
  }
}
