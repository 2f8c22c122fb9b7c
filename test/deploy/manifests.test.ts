// deploy/agent as `kubectl apply -k` would apply it: valid objects, the DaemonSet's host access as
// narrow as the manifest's comments claim, the contract's flags, port and metric names.
import { beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../prerequisites.js';
import { contractAgentFlags, contractMetrics, one, render, type K8sObject } from './render.js';

/** Every kind deploy/ may ship, with its API version and whether it lives in a namespace. */
const KINDS: Record<string, { apiVersion: string; namespaced: boolean }> = {
  Namespace: { apiVersion: 'v1', namespaced: false },
  ServiceAccount: { apiVersion: 'v1', namespaced: true },
  Service: { apiVersion: 'v1', namespaced: true },
  ClusterRole: { apiVersion: 'rbac.authorization.k8s.io/v1', namespaced: false },
  ClusterRoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', namespaced: false },
  DaemonSet: { apiVersion: 'apps/v1', namespaced: true },
  PriorityClass: { apiVersion: 'scheduling.k8s.io/v1', namespaced: false },
  PrometheusRule: { apiVersion: 'monitoring.coreos.com/v1', namespaced: true },
};

interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
}
interface Container {
  name: string;
  args: string[];
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown> & { capabilities: { drop: string[]; add: string[] } };
  volumeMounts: Mount[];
}
interface PodSpec {
  hostPID?: boolean;
  hostNetwork?: boolean;
  serviceAccountName: string;
  priorityClassName?: string;
  tolerations: { operator?: string; key?: string }[];
  securityContext: { seccompProfile: { type: string } };
  containers: Container[];
  volumes: Volume[];
}
type DaemonSet = K8sObject & { spec: { template: { spec: PodSpec } } };

function podSpec(objects: K8sObject[]): PodSpec {
  return one<DaemonSet>(objects, 'DaemonSet').spec.template.spec;
}

/** Every value of a key anywhere in an object (to find a `privileged: true` wherever it hides). */
function valuesOf(x: unknown, key: string): unknown[] {
  if (Array.isArray(x)) return x.flatMap((v) => valuesOf(v, key));
  if (x && typeof x === 'object')
    return Object.entries(x).flatMap(([k, v]) => (k === key ? [v, ...valuesOf(v, key)] : valuesOf(v, key)));
  return [];
}

/** hostPath volume name -> the host path, and each mount of the container that uses one. */
function hostMounts(spec: PodSpec): { host: string; type?: string; mount: Mount }[] {
  const c = spec.containers[0]!;
  return spec.volumes
    .filter((v) => v.hostPath)
    .map((v) => {
      const mount = c.volumeMounts.find((m) => m.name === v.name);
      expect(mount, `hostPath volume ${v.name} is mounted`).toBeDefined();
      return { host: v.hostPath!.path, type: v.hostPath!.type, mount: mount! };
    });
}

function checkObjects(objects: K8sObject[]): void {
  for (const o of objects) {
    const known = KINDS[o.kind];
    expect(known, `kind ${o.kind} (${o.metadata.name})`).toBeDefined();
    expect(o.apiVersion, `${o.kind}/${o.metadata.name}`).toBe(known!.apiVersion);
    expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    if (known!.namespaced) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('podmortem');
    else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeUndefined();
  }
}

describeNeeding('deploy/agent rendered with kubectl kustomize', ['kubectl'], () => {
  let base: K8sObject[] = [];
  let docker: K8sObject[] = [];
  let alerts: K8sObject[] = [];
  beforeAll(() => {
    base = render('deploy/agent');
    docker = render('deploy/agent-docker');
    alerts = render('deploy/agent/alerts');
  });

  it('holds valid objects of known kinds, each in the podmortem namespace or cluster-scoped', () => {
    expect(base.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'DaemonSet',
      'Namespace',
      'PriorityClass',
      'Service',
      'ServiceAccount',
    ]);
    for (const set of [base, docker, alerts]) checkObjects(set);
    // Pod Security Admission would refuse hostPID and hostPath below "privileged".
    expect(one(base, 'Namespace').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
    // The base applies on a cluster without the Prometheus operator's CRDs.
    expect(base.some((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toBe(false);
  });

  it('runs unprivileged with SYS_PTRACE and DAC_READ_SEARCH and no other capability', () => {
    for (const set of [base, docker]) {
      const spec = podSpec(set);
      expect(spec.containers).toHaveLength(1);
      expect(valuesOf(set, 'privileged').every((v) => v === false)).toBe(true);
      expect(valuesOf(set, 'hostNetwork').every((v) => v === false)).toBe(true);
      expect(valuesOf(set, 'hostIPC')).toEqual([]);
      const sc = spec.containers[0]!.securityContext;
      expect(sc).toMatchObject({
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
      expect(sc.capabilities.drop).toEqual(['ALL']);
      expect([...sc.capabilities.add].sort()).toEqual(['DAC_READ_SEARCH', 'SYS_PTRACE']);
      expect(spec.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(spec.hostPID).toBe(true);
    }
  });

  it('mounts the host read-only under /host at its own paths; only /var/lib/podmortem is writable', () => {
    for (const set of [base, docker]) {
      const mounts = hostMounts(podSpec(set));
      for (const { host, mount } of mounts) {
        if (host === '/var/lib/podmortem') {
          expect(mount.readOnly ?? false, host).toBe(false);
          expect(mount.mountPath).toBe('/var/lib/podmortem');
        } else {
          expect(mount.readOnly, `${host} read-only`).toBe(true);
          expect(mount.mountPath, `${host} under --root /host`).toBe(`/host${host}`);
        }
      }
      const hosts = mounts.map((m) => m.host);
      for (const need of ['/proc', '/sys/fs/cgroup', '/var/log', '/etc', '/usr/lib', '/var/lib/podmortem'])
        expect(hosts, need).toContain(need);
      // Nothing that holds other pods' secrets, nor the whole host.
      for (const host of hosts)
        expect(['/', '/var/lib/kubelet', '/run', '/var/run', '/dev']).not.toContain(host);
    }
    // The base starts on a node without a given runtime: no socket is required to exist.
    const base_ = hostMounts(podSpec(base));
    expect(base_.filter((m) => m.type === 'Socket')).toEqual([]);
    for (const dir of ['/run/containerd', '/run/crio'])
      expect(base_.find((m) => m.host === dir)?.type, dir).toBe('DirectoryOrCreate');
    // The Docker overlay adds Docker's socket (required there) and its json-file logs.
    const dockerMounts = hostMounts(podSpec(docker));
    expect(dockerMounts.find((m) => m.host === '/var/run/docker.sock')?.type).toBe('Socket');
    expect(dockerMounts.map((m) => m.host)).toContain('/var/lib/docker/containers');
  });

  it("runs `agent` with the contract's flags only, its node from the downward API", () => {
    const flags = contractAgentFlags();
    expect(flags).toEqual(expect.arrayContaining(['--listen', '--db', '--node-name', '--root', '--log-dir']));
    const c = podSpec(base).containers[0]!;
    const [command, ...rest] = c.args;
    expect(command).toBe('agent');
    const given = new Map<string, string>();
    for (let i = 0; i < rest.length; i += 2) {
      expect(flags, rest[i]).toContain(rest[i]);
      given.set(rest[i]!, rest[i + 1]!);
    }
    expect(Object.fromEntries(given)).toEqual({
      '--listen': '0.0.0.0:9713',
      '--db': '/var/lib/podmortem/agent.db',
      '--node-name': '$(NODE_NAME)',
      '--root': '/host',
      '--log-dir': '/host/var/log/pods',
    });
    expect(c.env.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  });

  it('serves metrics on 9713 through a Service port named metrics', () => {
    const c = podSpec(base).containers[0]!;
    expect(c.ports).toEqual([expect.objectContaining({ name: 'metrics', containerPort: 9713 })]);
    const svc = one<K8sObject & { spec: { selector: Record<string, string>; ports: unknown[] } }>(
      base,
      'Service',
    );
    expect(svc.spec.ports).toEqual([
      expect.objectContaining({ name: 'metrics', port: 9713, targetPort: 'metrics' }),
    ]);
    const ds = one<DaemonSet & { spec: { template: { metadata: { labels: Record<string, string> } } } }>(
      base,
      'DaemonSet',
    );
    expect(ds.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
  });

  it('runs on every node within the budget of issue 10, above ordinary workloads', () => {
    const spec = podSpec(base);
    expect(spec.tolerations).toContainEqual({ operator: 'Exists' });
    expect(spec.priorityClassName).toBe(one(base, 'PriorityClass').metadata.name);
    const r = spec.containers[0]!.resources;
    // Requests: idle (< 1% of a core, 80 MiB); limits: the storm (1 core, 150 MiB + GC slack).
    expect(r.requests).toEqual({ cpu: '10m', memory: '80Mi' });
    expect(r.limits.cpu).toBe('1');
    const mib = Number(/^(\d+)Mi$/.exec(r.limits.memory ?? '')?.[1]);
    expect(mib).toBeGreaterThanOrEqual(150);
    expect(mib).toBeLessThanOrEqual(256);
  });

  it("alerts on the contract's metric names, with labels the contract gives them", () => {
    const metrics = contractMetrics();
    expect([...metrics.keys()]).toEqual(
      expect.arrayContaining([
        'podmortem_container_exits_total',
        'podmortem_limit_used',
        'podmortem_limit_max',
      ]),
    );
    const rule = one<K8sObject & { spec: { groups: { rules: Record<string, unknown>[] }[] } }>(
      alerts,
      'PrometheusRule',
    );
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    const byName = new Map(rules.map((r) => [r.alert as string, r]));
    expect(byName.get('PodmortemLimitHeadroomLow')?.expr).toBe(
      'podmortem_limit_used / (podmortem_limit_max > 0) > 0.8',
    );
    expect(byName.get('PodmortemConfirmedCrashCause')?.expr).toBe(
      'increase(podmortem_container_exits_total{verdict="confirmed"}[10m]) > 0',
    );
    for (const r of rules) {
      const expr = r.expr as string;
      const names = [...expr.matchAll(/\bpodmortem_[a-z_]+/g)].map((m) => m[0]);
      expect(names.length, r.alert as string).toBeGreaterThan(0);
      const labels = new Set(names.flatMap((n) => metrics.get(n) ?? []));
      for (const n of names) expect([...metrics.keys()], `${n} in ${r.alert as string}`).toContain(n);
      // Every label a matcher or an annotation names exists on those metrics (instance: Prometheus's).
      const used = [
        ...expr.matchAll(/([a-z_]+)=~?"/g),
        ...JSON.stringify(r.annotations).matchAll(/\$labels\.([a-z_]+)/g),
      ].map((m) => m[1]!);
      for (const l of used)
        expect([...labels, 'instance'], `label ${l} in ${r.alert as string}`).toContain(l);
    }
  });
});
