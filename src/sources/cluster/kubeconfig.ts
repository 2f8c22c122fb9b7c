// Where the cluster is: --kubeconfig, else $KUBECONFIG / ~/.kube/config, else the in-cluster
// ServiceAccount (KUBERNETES_SERVICE_HOST + the mounted token), exactly as kubectl resolves it.
// --context picks a context. Problems are one sentence for the user (exit 1), never a trace.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface ClusterTarget {
  kubeconfig?: string;
  context?: string;
}

export class ClusterConfigError extends Error {}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function loadKubeConfig(
  target: ClusterTarget,
  env: NodeJS.ProcessEnv = process.env,
): { kc: KubeConfig; from: string } {
  const kc = new KubeConfig();
  let from: string;
  try {
    if (target.kubeconfig !== undefined) {
      if (!existsSync(target.kubeconfig))
        throw new ClusterConfigError(`${target.kubeconfig}: no such kubeconfig file.`);
      kc.loadFromFile(target.kubeconfig);
      from = target.kubeconfig;
    } else if (env.KUBECONFIG || existsSync(join(homedir(), '.kube', 'config'))) {
      kc.loadFromDefault();
      from = env.KUBECONFIG ? `$KUBECONFIG (${env.KUBECONFIG})` : '~/.kube/config';
    } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
      kc.loadFromCluster();
      from = 'in-cluster ServiceAccount';
    } else {
      throw new ClusterConfigError(
        'no cluster configured: pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a ServiceAccount.',
      );
    }
  } catch (err) {
    if (err instanceof ClusterConfigError) throw err;
    throw new ClusterConfigError(
      `cannot read the kubeconfig ${target.kubeconfig ?? env.KUBECONFIG ?? '~/.kube/config'}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  if (target.context !== undefined) {
    if (!kc.getContextObject(target.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ClusterConfigError(
        `context "${target.context}" is not in ${from} (known: ${known.join(', ') || 'none'}).`,
      );
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) {
    const ctx = kc.getCurrentContext();
    throw new ClusterConfigError(
      ctx
        ? `${from} names no cluster for context "${ctx}".`
        : `${from} has no current-context with a cluster: is it a kubeconfig? (pass --context NAME to pick one)`,
    );
  }
  return { kc, from };
}
