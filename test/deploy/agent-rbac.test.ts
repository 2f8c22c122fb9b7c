// deploy/agent's ClusterRole against the requests the agent makes: each request the agent's client
// (@kubernetes/client-node) sends for its duties (today: the CrashDiagnosed Event) is sent to the stand-in API, resolved to
// its RBAC attributes as the apiserver does, and must be allowed; the role must grant nothing more.
// When `podmortem agent` runs against the stand-in in its own tests, `unauthorized(rules,
// standin.requests)` from ./rbac.ts checks its real traffic the same way.
import { EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { beforeAll, expect, it } from 'vitest';
import { startStandin } from '../standin/server.mjs';
import { describeNeeding } from '../prerequisites.js';
import { one, render, type K8sObject } from './render.js';
import { attributes, unauthorized, type ApiRequest, type RbacRule } from './rbac.js';

type Role = K8sObject & { rules: RbacRule[] };
type Binding = K8sObject & {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
};

/** The agent's API duties, through the client it uses, against a stand-in; the requests it recorded. */
async function agentDuties(): Promise<ApiRequest[]> {
  const s = await startStandin({ pods: [] });
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(s.kubeconfig);
    const events = kc.makeApiClient(EventsV1Api);
    const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
    // The CrashDiagnosed Event on the pod, as src/sinks/kube-events.ts posts it (events.k8s.io/v1).
    await quiet(
      events.createNamespacedEvent({
        namespace: 'shop',
        body: {
          metadata: { name: 'web-0.0123456789abcdef01234567' },
          reason: 'CrashDiagnosed',
          type: 'Warning',
          eventTime: new Date(),
          reportingController: 'podmortem.io/agent',
        },
      }),
    );
    return s.requests.filter((r) => !/^\/(version|api|apis)$/.test(r.path));
  } finally {
    await s.close();
  }
}

describeNeeding('deploy/agent RBAC', ['kubectl'], () => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = render('deploy/agent');
  });

  it('binds the ClusterRole to the ServiceAccount the DaemonSet runs as', () => {
    const role = one<Role>(objects, 'ClusterRole');
    const binding = one<Binding>(objects, 'ClusterRoleBinding');
    const sa = one(objects, 'ServiceAccount');
    const ds = one<K8sObject & { spec: { template: { spec: { serviceAccountName: string } } } }>(
      objects,
      'DaemonSet',
    );
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
    expect(ds.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    expect(ds.metadata.namespace).toBe(sa.metadata.namespace);
  });

  it("allows every request of the agent's duties and grants nothing they do not use", async () => {
    const rules = one<Role>(objects, 'ClusterRole').rules;
    const requests = await agentDuties();
    expect(unauthorized(rules, requests)).toEqual([]);
    const used = new Set(requests.map((r) => attributes(r)).map((a) => `${a.group}/${a.resource}/${a.verb}`));
    expect([...used].sort()).toEqual(['events.k8s.io/events/create']);
    const granted = rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}/${v}`))),
    );
    expect(granted.sort()).toEqual([...used].sort());
    // Every list and watch of pods is narrowed to the agent's node (RBAC cannot say it; the agent must).
    for (const r of requests.filter((x) => /\/pods$/.test(x.path)))
      expect(r.query.fieldSelector, r.path).toMatch(/^spec\.nodeName=/);
  });

  it('refuses what the agent must never do (so the check above can fail)', () => {
    const rules = one<Role>(objects, 'ClusterRole').rules;
    const never: ApiRequest[] = [
      { method: 'GET', path: '/api/v1/namespaces/shop/pods/web-0/log', query: {} },
      { method: 'GET', path: '/api/v1/secrets', query: {} },
      { method: 'GET', path: '/api/v1/nodes/node-1', query: {} },
      { method: 'DELETE', path: '/api/v1/namespaces/shop/pods/web-0', query: {} },
      { method: 'DELETE', path: '/api/v1/namespaces/shop/events/web-0.1', query: {} },
      { method: 'POST', path: '/api/v1/namespaces/shop/pods/web-0/exec', query: {} },
      { method: 'GET', path: '/apis/apps/v1/namespaces/shop/replicasets/web-5d8f', query: {} },
    ];
    expect(unauthorized(rules, never)).toHaveLength(never.length);
  });
});
