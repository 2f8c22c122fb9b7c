// `podmortem scan`: every crashed container of a cluster, diagnosed and correlated, through the
// Kubernetes API. The cluster flags defined here are shared with `collect`.
import { interrupted } from './interrupt.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from './errors.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../sources/cluster/retry.js';
import type { ClusterEvidence, Elsewhere, Progress, ScanScope } from '../sources/cluster/gather.js';
// Not gather.js itself: every command would load the cluster walk and its schemas at start-up.
import { ClusterUnreachable } from '../sources/cluster/unreachable.js';
import { emit, formatOption, noColorOption, outputOption, type CliFormat } from './output.js';
import { checkKubeconfigEnv, mustBeDir, mustBeFile } from './paths.js';
import { failOnOption, gate, type FailOn } from './gate.js';

export function scanCommand(): Command {
  const cmd = new Command('scan')
    .summary('find and diagnose every crashed container of a cluster (Kubernetes API)')
    .description(
      [
        'Lists pods through the Kubernetes API, picks the containers that restarted, are in CrashLoopBackOff or terminated with an error, and for each reads its previous log (bounded, streamed), its events, owner, security context, resources and node.',
        'Each is diagnosed like `analyze` does; then replicas that crashed alike become one finding, and crashes on one node in one window are grouped under their likely root (a CNI agent crash, a node-level limit) with the others as its blast radius. What RBAC forbids is reported as missing evidence, naming the missing rule.',
        'The cluster comes from --kubeconfig, else $KUBECONFIG or ~/.kube/config, else the in-cluster ServiceAccount. deploy/rbac.yaml holds the least-privilege ClusterRole the scan needs.',
      ].join('\n\n'),
    );
  addClusterOptions(cmd)
    .addOption(formatOption())
    .addOption(outputOption())
    .addOption(noColorOption())
    .addOption(failOnOption())
    .addHelpText(
      'after',
      `
Examples:
  podmortem scan -A                                  # the whole cluster
  podmortem scan -n kube-system --since 2h           # restarts of the last two hours
  podmortem scan -A -l app=checkout -f json | jq '.findings'
  podmortem scan -A --node-evidence ./snapshots      # join 'podmortem node' snapshots, one folder per node
  podmortem scan --context prod -A -f markdown -o scan.md
  kubectl podmortem scan -A -f yaml                  # as a kubectl plugin

Exit status: 0 when the scan ran (whatever it found, including refused requests), 1 for bad usage,
a --kubeconfig, $KUBECONFIG or --node-evidence that cannot be used, an unreachable cluster or a
report that cannot be written, 2 when --fail-on matched.`,
    )
    .action(
      async (
        opts: ClusterFlags & { format: CliFormat; output?: string; color: boolean; failOn?: FailOn },
      ) => {
        const { kc, scope, from } = await clusterSetup(opts);
        // Loaded here, not at startup: the Kubernetes client takes a second to import, which every other command would pay.
        const [{ ClusterApi }, { scanCluster }, { restartingElsewhere }] = await Promise.all([
          import('../sources/cluster/api.js'),
          import('../pipeline/scan.js'),
          import('../sources/cluster/gather.js'),
        ]);
        const api = new ClusterApi(kc, retryPolicy(opts), interrupted);
        const progress = progressLine();
        try {
          const { report, evidence } = await scanCluster(api, scope, {
            ...(opts.nodeEvidence !== undefined ? { nodeEvidenceDir: opts.nodeEvidence } : {}),
            onProgress: progress.update,
          });
          progress.done();
          process.stderr.write(scanSummary(evidence, from));
          if (scope.namespace !== undefined) {
            const elsewhere = await restartingElsewhere(api, { ...scope, namespace: scope.namespace });
            if (elsewhere) process.stderr.write(elsewhereHint(elsewhere));
          }
          await emit(report, opts);
          process.exitCode = gate(report, opts.failOn);
        } catch (err) {
          progress.done();
          if (err instanceof ClusterUnreachable) throw new UsageError(err.message);
          throw err;
        }
      },
    );
  return cmd;
}

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  since?: number;
  nodeEvidence?: string;
  chunkSize: number;
  concurrency: number;
  qps: number;
  logBytes: number;
}

// The options `scan` and `pod` share, written once so their help and bounds cannot drift apart.
export const kubeconfigOption = (): Option =>
  new Option(
    '--kubeconfig <file>',
    'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, then in-cluster)',
  );
export const contextOption = (): Option => new Option('--context <name>', 'kubeconfig context to use');
export const nodeEvidenceOption = (): Option =>
  new Option(
    '--node-evidence <dir>',
    'node snapshots to join, one folder per node name, each laid out like the host root that --node-root reads',
  );
export const qpsOption = (): Option =>
  new Option('--qps <n>', 'API requests per second at most (bursts of twice that); 0 for no limit')
    .argParser(intIn(0, 1000))
    .default(50);
export const logBytesOption = (): Option =>
  new Option('--log-bytes <n>', 'bytes of each previous log to read at most')
    .argParser(intIn(1024, 256 << 20))
    .default(4 << 20);

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .addOption(new Option('-n, --namespace <ns>', "scan one namespace (default: the context's namespace)"))
    .addOption(new Option('-A, --all-namespaces', 'scan every namespace').conflicts('namespace'))
    .addOption(new Option('-l, --selector <selector>', 'label selector, e.g. app=checkout,tier!=cache'))
    .addOption(
      new Option(
        '--since <duration>',
        'only restarts whose last termination is this recent, e.g. 30m, 2h, 1d',
      ).argParser(parseDuration),
    )
    .addOption(nodeEvidenceOption())
    .addOption(
      new Option('--chunk-size <n>', 'pods per list request (limit/continue pagination)')
        .argParser(intIn(1, 5000))
        .default(500),
    )
    .addOption(
      new Option('--concurrency <n>', 'API requests in flight at most').argParser(intIn(1, 32)).default(8),
    )
    .addOption(qpsOption())
    .addOption(logBytesOption());
}

export async function clusterSetup(
  opts: ClusterFlags,
): Promise<{ kc: KubeConfig; scope: ScanScope; from: string }> {
  // Explicit paths first: a wrong one is a sentence before the cluster is contacted.
  if (opts.nodeEvidence !== undefined) mustBeDir(opts.nodeEvidence, '--node-evidence');
  if (opts.kubeconfig !== undefined) mustBeFile(opts.kubeconfig, '--kubeconfig');
  else checkKubeconfigEnv(process.env.KUBECONFIG);
  const { ClusterConfigError, loadKubeConfig } = await import('../sources/cluster/kubeconfig.js');
  let loaded;
  try {
    loaded = loadKubeConfig({
      ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
      ...(opts.context !== undefined ? { context: opts.context } : {}),
    });
  } catch (err) {
    if (err instanceof ClusterConfigError) throw new UsageError(err.message);
    throw err;
  }
  const ctxNs = loaded.kc.getContextObject(loaded.kc.getCurrentContext())?.namespace;
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? ctxNs ?? 'default');
  const scope: ScanScope = {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(opts.selector !== undefined ? { labelSelector: opts.selector } : {}),
    ...(opts.since !== undefined ? { sinceMs: opts.since } : {}),
    chunkSize: opts.chunkSize,
    concurrency: opts.concurrency,
    logBytes: opts.logBytes,
  };
  return { kc: loaded.kc, scope, from: loaded.from };
}

/** The default retry policy with the --qps rate (burst of twice the rate, as client-go pairs them). */
export function retryPolicy(opts: Pick<ClusterFlags, 'qps'>): RetryPolicy {
  return { ...DEFAULT_RETRY, qps: opts.qps, burst: Math.max(1, opts.qps * 2) };
}

/** 90s, 30m, 2h, 1d, 1h30m -> milliseconds. */
export function parseDuration(v: string): number {
  if (!/^(?:\d{1,6}[smhd]){1,4}$/.test(v))
    throw new InvalidArgumentError('a duration such as 30m, 2h or 1d.');
  const unit: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let ms = 0;
  for (const m of v.matchAll(/(\d+)([smhd])/g)) ms += Number(m[1]) * unit[m[2]!]!;
  return ms;
}

export function intIn(min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max)
      throw new InvalidArgumentError(`a number from ${min} to ${max}.`);
    return Number(v);
  };
}

/** A one-line progress display on a terminal (stderr); silent when stderr is a file or a pipe. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr): {
  update: (p: Progress) => void;
  done: () => void;
} {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  let pods = 0;
  let shown = false;
  return {
    update: (p) => {
      if (p.phase === 'pods') pods = p.done;
      const text =
        p.phase === 'pods'
          ? `listing pods: ${p.done}`
          : p.phase === 'nodes'
            ? `${pods} pods listed; reading ${p.total ?? 0} node(s)`
            : `${pods} pods listed; crashed containers read ${p.done}/${p.total ?? '?'}`;
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done: () => {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

/** "other namespaces hold 3 restarting pod(s) (kube-system 1, payments 1, shop 1): podmortem scan -A ..." */
export function elsewhereHint(e: Elsewhere): string {
  const entries = Object.entries(e.byNamespace).sort(([a], [b]) => a.localeCompare(b));
  const total = entries.reduce((n, [, k]) => n + k, 0);
  if (total === 0) return '';
  return `podmortem: other namespaces hold ${e.complete ? '' : 'at least '}${total} restarting pod(s) (${entries
    .map(([ns, k]) => `${ns} ${k}`)
    .join(', ')}): podmortem scan -A diagnoses them, podmortem pod NAME -n NAMESPACE one of them.\n`;
}

export function scanSummary(ev: ClusterEvidence, from: string): string {
  const where = ev.scope.namespace ? `namespace ${ev.scope.namespace}` : 'all namespaces';
  const refused = ev.problems.filter((p) => p.kind === 'forbidden').length;
  return `podmortem: ${ev.server} (${from}), ${where}: ${ev.stats.pods} pod(s) listed in ${ev.stats.pages} page(s), ${ev.containers.length} crashed container(s), ${ev.stats.requests} API request(s)${ev.stats.retries ? `, ${ev.stats.retries} retried` : ''}${refused ? `, ${refused} refused by RBAC` : ''}.\n`;
}
