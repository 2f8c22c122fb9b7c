// `podmortem agent`: the node's flight recorder, a long-running process (a DaemonSet in a cluster).
import { Command, Option } from 'commander';
import { statSync } from 'node:fs';
import { describeFsError } from '../sources/fs-errors.js';
import { UsageError } from './errors.js';
import { readToken } from './token.js';

/** "HOST:PORT", ":PORT" or "[v6]:PORT" as --listen takes it. */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new UsageError(`--listen ${v}: expected HOST:PORT, such as 0.0.0.0:9713 or 127.0.0.1:0.`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function agentCommand(): Command {
  return new Command('agent')
    .summary('the node flight recorder: diagnoses every container exit as it happens (a DaemonSet)')
    .description(
      `Runs until stopped on one node. It follows the container runtime's exit events (Docker's
/events, containerd's event stream, CRI polling as the fallback), samples every running container
between exits (its main process's threads, open files and mappings, its pids and memory cgroups),
and at each exit freezes those samples, reads the container's cgroups before they go, copies the
last 4 MiB of its log, and diagnoses it through the same pipeline as \`podmortem node\`, with the
crashed instance's own usage as evidence. Each incident is stored in SQLite, posted as a Kubernetes
Event on the pod (reason CrashDiagnosed) and counted in /metrics. Exits that happened while the
agent was down are found in the runtime's records at start-up; none is recorded twice.

HTTP (--listen): /metrics, /healthz, /readyz, GET /api/v1/incidents (filters namespace, workload,
node, cause, verdict, since, until, limit, cursor), /api/v1/incidents/{id},
/api/v1/nodes/{node}/limits, and the web UI at / (this node's incidents, each incident's page, the
node's limits and headroom at /nodes/{node}).`,
    )
    .addOption(
      new Option('--listen <host:port>', 'where the HTTP API and /metrics are served').default(
        '0.0.0.0:9713',
      ),
    )
    .addOption(
      new Option(
        '--db <path>',
        'the SQLite incident history (its folder also keeps the copied logs)',
      ).default('/var/lib/podmortem/agent.db'),
    )
    .addOption(
      new Option(
        '--node-name <name>',
        'the node this agent watches (default: $NODE_NAME, then the hostname)',
      ),
    )
    .addOption(new Option('--root <dir>', 'the host filesystem: / on the node, /host in a pod').default('/'))
    .addOption(new Option('--log-dir <dir>', 'the kubelet pod log folder (default: <root>/var/log/pods)'))
    .addOption(
      new Option(
        '--runtime-endpoint <unix:///path>',
        "the container runtime's socket under --root (containerd, CRI-O, or the Docker Engine API); default: the first that answers of the usual sockets",
      ),
    )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        'the API server for Events (default: in-cluster ServiceAccount, then $KUBECONFIG; with none, no Events are posted)',
      ),
    )
    .addOption(
      new Option('--cluster <name>', 'the cluster name stored with each incident').default(
        process.env.PODMORTEM_CLUSTER ?? '',
      ),
    )
    .addOption(
      new Option('--sample-interval <seconds>', 'how often running containers are sampled').default('5'),
    )
    .addOption(
      new Option(
        '--server <url>',
        'push every incident to a podmortem server, e.g. http://podmortem-server:9714 (with --token-file)',
      ),
    )
    .addOption(
      new Option(
        '--token-file <file>',
        "the bearer token for --server: the server's --token-file, or a projected ServiceAccount token (--auth tokenreview); read at every push",
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  sudo podmortem agent --db /var/lib/podmortem/agent.db
  podmortem agent --root /host --node-name "$NODE_NAME"          # in the DaemonSet
  sudo podmortem agent --runtime-endpoint unix:///run/containerd/containerd.sock --listen 127.0.0.1:9713
  curl -s localhost:9713/api/v1/incidents?verdict=confirmed | jq '.items[].causes[0].id'

Stops cleanly on SIGTERM or SIGINT (exits being diagnosed are finished first). Exit status: 0 after
a clean stop, 1 for bad usage (one line on standard error).`,
    )
    .action(
      async (opts: {
        listen: string;
        db: string;
        nodeName?: string;
        root: string;
        logDir?: string;
        runtimeEndpoint?: string;
        kubeconfig?: string;
        cluster: string;
        sampleInterval: string;
        server?: string;
        tokenFile?: string;
      }) => {
        const listen = parseListen(opts.listen);
        const sample = Number(opts.sampleInterval);
        if (!Number.isFinite(sample) || sample < 0.2 || sample > 3600)
          throw new UsageError(
            `--sample-interval ${opts.sampleInterval}: expected seconds from 0.2 to 3600.`,
          );
        mustBeDir(opts.root, '--root');
        if (opts.logDir !== undefined) mustBeDir(opts.logDir, '--log-dir');
        const { Agent } = await import('../agent/agent.js');
        const log = (l: string) => process.stderr.write(`podmortem agent: ${l}\n`);
        if (opts.server !== undefined) {
          if (!/^https?:\/\/[^/\s]+/.test(opts.server))
            throw new UsageError(
              `--server ${opts.server}: expected a URL such as http://podmortem-server:9714.`,
            );
          if (opts.tokenFile === undefined)
            throw new UsageError('--server needs --token-file (the bearer token the server expects).');
          readToken(opts.tokenFile);
        } else if (opts.tokenFile !== undefined)
          throw new UsageError('--token-file is for --server: give both or neither.');
        let agent;
        try {
          agent = new Agent({
            listen,
            db: opts.db,
            ...(opts.nodeName !== undefined ? { nodeName: opts.nodeName } : {}),
            cluster: opts.cluster,
            root: opts.root,
            ...(opts.logDir !== undefined ? { logDir: opts.logDir } : {}),
            ...(opts.runtimeEndpoint !== undefined ? { runtimeEndpoint: opts.runtimeEndpoint } : {}),
            ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
            ...(opts.server !== undefined && opts.tokenFile !== undefined
              ? { server: { url: opts.server, tokenFile: opts.tokenFile } }
              : {}),
            sampleMs: sample * 1000,
            log,
          });
          const addr = await agent.start();
          log(`node ${agent.node}: serving on ${addr.address}:${addr.port}, history in ${opts.db}.`);
        } catch (err) {
          await agent?.stop(0).catch(() => undefined);
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'EADDRINUSE')
            throw new UsageError(`--listen ${opts.listen}: the address is in use.`);
          if (e.code === 'EACCES') throw new UsageError(`--listen ${opts.listen}: permission denied.`);
          throw new UsageError(e.message);
        }
        const running = agent;
        await new Promise<void>((resolve) => {
          const stop = (sig: string) => {
            log(`${sig}: stopping.`);
            // Exits being diagnosed are finished; then the process ends even if a runtime or API
            // connection is still closing (a daemon's stop must not hang on a peer).
            void running.stop().then(() => {
              resolve();
              process.exit(process.exitCode ?? 0);
            });
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        });
      },
    );
}

function mustBeDir(path: string, flag: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${describeFsError(err, path)}`);
  }
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: is not a directory.`);
}
