// `podmortem pod NAME`: one pod through the Kubernetes API, the common case at 3 a.m.: its previous
// logs, spec, events and owner read for you (no kubectl logs -p | analyze), diagnosed like a scan.
import { interrupted } from './interrupt.js';
import { Command, Option } from 'commander';
import { UsageError } from './errors.js';
import { ClusterUnreachable } from '../sources/cluster/unreachable.js';
import { emit, formatOption, noColorOption, outputOption, type CliFormat } from './output.js';
import { failOnOption, gate, type FailOn } from './gate.js';
import {
  clusterSetup,
  contextOption,
  kubeconfigOption,
  logBytesOption,
  nodeEvidenceOption,
  qpsOption,
  retryPolicy,
} from './scan.js';

interface PodFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  container?: string;
  nodeEvidence?: string;
  qps: number;
  logBytes: number;
  format: CliFormat;
  output?: string;
  color: boolean;
  failOn?: FailOn;
}

export function podCommand(): Command {
  return new Command('pod')
    .summary('diagnose one pod through the Kubernetes API (its previous logs, spec, events, owner)')
    .description(
      [
        "Reads one pod as kubectl get pod, kubectl logs -p and kubectl describe pod would: the pod spec and status, the previous log of every container that restarted or terminated with an error (or only the one -c names), the pod's events, its node and its owner chain (ReplicaSet, Deployment, ...). Each crashed container is diagnosed like `scan` does it.",
        "The namespace is -n, else the kubeconfig context's namespace, else default, as kubectl picks it. The cluster comes from --kubeconfig, else $KUBECONFIG or ~/.kube/config, else the in-cluster ServiceAccount.",
      ].join('\n\n'),
    )
    .argument('<name>', 'the pod name')
    .addOption(kubeconfigOption())
    .addOption(contextOption())
    .addOption(new Option('-n, --namespace <ns>', "the pod's namespace (default: the context's namespace)"))
    .addOption(new Option('-c, --container <name>', 'only this container (default: every one that crashed)'))
    .addOption(nodeEvidenceOption())
    .addOption(qpsOption())
    .addOption(logBytesOption())
    .addOption(formatOption())
    .addOption(outputOption())
    .addOption(noColorOption())
    .addOption(failOnOption())
    .addHelpText(
      'after',
      `
Examples:
  podmortem pod calico-node-56bgm -n kube-system            # every crashed container of the pod
  podmortem pod checkout-6b7f9d8c4-q8w2e -n shop -c app     # one container
  podmortem pod ledger-0 -n payments -f markdown -o ledger.md
  podmortem pod calico-node-56bgm -n kube-system --node-evidence ./snapshots   # with 'podmortem node' snapshots
  kubectl podmortem pod web-0 --context prod -f json | jq '.incidents[].causes[0]'

Exit status: 0 when the pod was read (whatever was found, also when it never restarted), 1 for bad
usage, a pod or container that does not exist, a pod RBAC does not let you read, an unreachable
cluster or a report that cannot be written, 2 when --fail-on matched.`,
    )
    .action(async (name: string, opts: PodFlags) => {
      const { kc, scope, from } = await clusterSetup({ ...opts, chunkSize: 1, concurrency: 1 });
      const namespace = scope.namespace ?? 'default';
      // Loaded here, not at startup: the Kubernetes client takes a second to import.
      const [{ ClusterApi }, { diagnosePod }, { PodUnavailable }] = await Promise.all([
        import('../sources/cluster/api.js'),
        import('../pipeline/pod.js'),
        import('../sources/cluster/pod.js'),
      ]);
      const api = new ClusterApi(kc, retryPolicy(opts), interrupted);
      try {
        const { report, evidence } = await diagnosePod(
          api,
          {
            namespace,
            name,
            ...(opts.container !== undefined ? { container: opts.container } : {}),
            logBytes: opts.logBytes,
          },
          opts.nodeEvidence !== undefined ? { nodeEvidenceDir: opts.nodeEvidence } : {},
        );
        const subject = `pod ${namespace}/${name}${opts.container !== undefined ? ` container ${opts.container}` : ''}`;
        const crashed = evidence.containers.map((c) => `${c.container} (${c.why})`);
        process.stderr.write(
          crashed.length > 0
            ? `podmortem: ${evidence.server} (${from}), ${subject}: ${crashed.length} crashed container(s): ${crashed.join(', ')}; ${evidence.stats.requests} API request(s).\n`
            : `podmortem: ${subject} has not restarted or failed, so there is no crash to diagnose${evidence.calm.length ? ` (${evidence.calm.join('; ')})` : ''}.\n`,
        );
        await emit(report, opts);
        process.exitCode = gate(report, opts.failOn);
      } catch (err) {
        if (err instanceof ClusterUnreachable || err instanceof PodUnavailable)
          throw new UsageError(err.message);
        throw err;
      }
    });
}
