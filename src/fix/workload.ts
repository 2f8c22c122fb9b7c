// Workload patches: a kustomize strategic-merge patch for the controller that owns the crashed pod,
// and the same change as a `kubectl patch` command. A pod's resources cannot be changed in place by
// a patch of the pod (its template is what recreates it), so the patch targets the Deployment,
// StatefulSet, DaemonSet or CronJob; a Job's template is immutable and a bare pod has no template.
import { stringify } from 'yaml';
import { parseQuantity } from '../sources/cluster/wire.js';
import type { Evidence } from '../evidence/types.js';
import type { Change, ChangeReason, WorkloadSpec } from './types.js';

const MI = 2 ** 20;
const GI = 2 ** 30;
/** New limits are rounded up to this: a round figure a reviewer recognizes. */
const ROUND = 64 * MI;

export interface MemoryWant {
  namespace?: string;
  pod?: string;
  container?: string;
  /** How the report names the crash, for sentences. */
  subject: string;
  /** "Deployment shop/checkout" when the report's subject names the owner (scan, pod). */
  owner?: string;
  factor: number;
  reasons: ChangeReason[];
  /** The cause's evidence: a report from `pod` or `scan` quotes the limit from the pod spec it read. */
  evidence?: Evidence[];
}

/** The limit a cluster report quotes: "(containers[api].resources.limits.memory)" / "memory: 768Mi". */
function quotedLimit(want: MemoryWant): { container: string; limit: string } | undefined {
  for (const e of want.evidence ?? []) {
    const c = /\(containers\[([^\]]+)\]\.resources\.limits\.memory\)$/.exec(e.source);
    const l = /^memory: (\S+)$/.exec(e.text);
    if (c && l && (!want.container || c[1] === want.container)) return { container: c[1]!, limit: l[1]! };
  }
  return undefined;
}

const API_VERSION: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  CronJob: 'batch/v1',
};

export function memoryPatch(want: MemoryWant, specs: WorkloadSpec[], skipped: string[]): Change | undefined {
  const who = want.subject;
  // The pod spec of this pod; or the only one given when the report does not name the pod; or what
  // the report itself quotes of it (a `pod` or `scan` report read the spec through the API).
  const given =
    specs.find((s) => s.namespace === want.namespace && s.pod === want.pod) ??
    (specs.length === 1 && (!want.pod || !want.namespace) ? specs[0] : undefined);
  const quoted = given ? undefined : quotedLimit(want);
  const spec: WorkloadSpec | undefined =
    given ??
    (quoted && want.namespace && want.pod
      ? {
          namespace: want.namespace,
          pod: want.pod,
          containers: [{ name: quoted.container, resources: { limits: { memory: quoted.limit } } }],
          source: 'the report',
        }
      : undefined);
  const owner = spec?.owner ?? parseOwner(want.owner);
  const container =
    spec?.containers.find((c) => c.name === want.container) ??
    (!want.container && spec?.containers.length === 1 ? spec.containers[0] : undefined);
  const limitText = container?.resources.limits?.['memory'];
  if (!spec || !container || !limitText) {
    skipped.push(
      `memory.cgroup on ${who}: ${!spec ? 'the pod spec was not given' : !container ? `the pod spec has no container "${want.container ?? '?'}"` : `the pod spec sets no memory limit for "${container.name}"`}, so the new limit cannot be computed; give it (kubectl get pod POD -o yaml > pod.yaml; podmortem fix ... pod.yaml).`,
    );
    return undefined;
  }
  if (!owner || !API_VERSION[owner.kind]) {
    skipped.push(
      `memory.cgroup on ${who}: ${owner ? `its owner is a ${owner.kind}, whose pod template cannot be patched` : 'the pod has no controller'}; change the manifest that creates it.`,
    );
    return undefined;
  }
  const limit = parseQuantity(limitText);
  if (limit === undefined) {
    skipped.push(
      `memory.cgroup on ${who}: the memory limit "${limitText}" is not a quantity podmortem reads.`,
    );
    return undefined;
  }
  const raised = Math.ceil((limit * want.factor) / ROUND) * ROUND;
  const newLimit = raised % GI === 0 ? `${raised / GI}Gi` : `${raised / MI}Mi`;
  const requestText = container.resources.requests?.['memory'];
  // A memory request written equal to the limit moves with it: the spec's author keeps them equal
  // (and a Guaranteed pod stays Guaranteed).
  const keepGuaranteed = requestText !== undefined && parseQuantity(requestText) === limit;
  const resources = {
    limits: { memory: newLimit },
    ...(keepGuaranteed ? { requests: { memory: newLimit } } : {}),
  };
  const podSpec = { containers: [{ name: container.name, resources }] };
  const templateSpec =
    owner.kind === 'CronJob'
      ? { jobTemplate: { spec: { template: { spec: podSpec } } } }
      : { template: { spec: podSpec } };
  const patch = {
    apiVersion: API_VERSION[owner.kind],
    kind: owner.kind,
    metadata: { name: owner.name, namespace: spec.namespace },
    spec: templateSpec,
  };
  const kind = owner.kind.toLowerCase();
  return {
    kind: 'workload-patch',
    path: `kustomize/${kind}-${spec.namespace}-${owner.name}.yaml`,
    before: null,
    after: `# podmortem fix: ${want.reasons.map((r) => `${r.cause} ${r.verdict} on ${r.subject}`).join('; ')}\n${stringify(patch, { lineWidth: 0 })}`,
    why: `Raises the memory limit of ${owner.kind} ${spec.namespace}/${owner.name} container "${container.name}" from ${limitText} to ${newLimit} (x${want.factor}, rounded up to 64Mi)${keepGuaranteed ? ', and its memory request with it (the spec keeps them equal)' : quoted ? ' (the report quotes the limit, not the request: a request equal to the old limit stays there)' : ''}; the pods are recreated by the rollout.`,
    reasons: want.reasons,
    command: `kubectl -n ${spec.namespace} patch ${kind} ${owner.name} --type strategic -p '${JSON.stringify({ spec: templateSpec })}'`,
  };
}

/** "Deployment shop/checkout" (a report subject's owner) -> { kind, name }. */
function parseOwner(owner: string | undefined): { kind: string; name: string } | undefined {
  const m = /^(\w+) (?:[^/\s]+\/)?(\S+)$/.exec(owner ?? '');
  return m ? { kind: m[1]!, name: m[2]! } : undefined;
}
