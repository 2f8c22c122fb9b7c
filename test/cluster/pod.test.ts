// `podmortem pod NAME` as a user runs it (the built CLI) against the API stand-in, through the real
// client: the incident of one pod, -c choosing a container, the one-sentence refusals, and the hint
// `scan` gives about other namespaces.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { pod } from '../standin/objects.mjs';
import type { Standin } from '../standin/server.mjs';
import { ensureBuilt, podmortemAsync, scenarioStandin } from './helpers.js';

let s: Standin;
beforeAll(async () => {
  ensureBuilt();
  s = await scenarioStandin();
  // A pod with two containers: a sidecar that never restarted beside the app that crashed.
  s.state.pods.push(
    pod({
      ns: 'shop',
      name: 'orders-7d9f8b6c5-z5x4c',
      node: 'worker-2',
      hostIP: '10.165.6.31',
      containers: [
        {
          name: 'app',
          restartCount: 5,
          runAsUser: 1000,
          memoryLimit: '512Mi',
          lastTerminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-11-29T11:47:30Z' },
        },
        { name: 'proxy', runAsUser: 1000 },
      ],
    }),
  );
  s.state.logs['shop/orders-7d9f8b6c5-z5x4c/app'] = {
    previous: '2026-11-29T11:47:29.901Z INFO loading order history into cache\n',
  };
});
afterAll(async () => {
  await s.close();
});

const pm = (...args: string[]) => podmortemAsync(['pod', '--kubeconfig', s.kubeconfig, ...args]);

describe('podmortem pod (CLI)', () => {
  test('a crashed pod: one incident with its subject, owner, signature and verdict, in JSON', async () => {
    const r = await pm('calico-node-56bgm', '-n', 'kube-system', '-f', 'json');
    expect(r.stderr).toContain(
      'pod kube-system/calico-node-56bgm: 1 crashed container(s): calico-node (21 restarts)',
    );
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.incidents).toHaveLength(1);
    const i = report.incidents[0]!;
    expect(i.subject).toMatchObject({
      namespace: 'kube-system',
      pod: 'calico-node-56bgm',
      container: 'calico-node',
      node: '10.165.6.26',
      restartCount: 21,
      exitCode: 2,
      owner: 'DaemonSet kube-system/calico-node',
    });
    expect(i.signatures.find((h) => h.id === 'go.newosproc')?.evidence[0]).toMatchObject({
      source: 'kube-system/calico-node-56bgm/calico-node (previous log)',
      line: 1,
    });
    // The pod spec read through the API says privileged: RLIMIT_NPROC cannot be what stopped it.
    expect(i.causes.find((c) => c.id === 'rlimit.nproc')?.verdict).toBe('ruled-out');
    // What was asked of the API server: the pod itself (GET, not a list), its previous log, its events.
    expect(s.count(/^\/api\/v1\/namespaces\/kube-system\/pods\/calico-node-56bgm$/)).toBeGreaterThan(0);
    expect(
      s.requests.some(
        (q) =>
          q.path.endsWith('/calico-node-56bgm/log') &&
          q.query.previous === 'true' &&
          q.query.container === 'calico-node',
      ),
    ).toBe(true);
  });

  test("the namespace defaults to the kubeconfig context's, as kubectl does; --fail-on gates on the verdict", async () => {
    // Context "other" has namespace default, where this pod is not: the sentence names the namespace.
    const r = await pm('checkout-6b7f9d8c4-q8w2e', '--context', 'other');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('pod "checkout-6b7f9d8c4-q8w2e" not found in namespace "default"');
    const g = await pm('checkout-6b7f9d8c4-q8w2e', '-n', 'shop', '--fail-on', 'confirmed', '-f', 'json');
    expect(g.status).toBe(2);
    const report = JSON.parse(g.stdout) as Report;
    expect(report.incidents[0]!.causes.find((c) => c.id === 'memory.cgroup')?.verdict).toBe('confirmed');
  });

  test('-c picks one container; a container that did not crash says so and exits 0', async () => {
    const r = await pm('orders-7d9f8b6c5-z5x4c', '-n', 'shop', '-c', 'app', '-f', 'json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.incidents.map((i) => i.subject.container)).toEqual(['app']);
    expect(report.incidents[0]!.subject).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(report.incidents[0]!.causes.find((c) => c.id === 'memory.cgroup')?.verdict).toBe('confirmed');

    const quiet = await pm('orders-7d9f8b6c5-z5x4c', '-n', 'shop', '-c', 'proxy');
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toContain(
      'pod shop/orders-7d9f8b6c5-z5x4c container proxy has not restarted or failed, so there is no crash to diagnose (proxy: running, 0 restarts)',
    );
    expect(quiet.stdout).toContain('No crash recognized');
  });

  test('a pod that never restarted says so, exit 0, and an empty report that validates', async () => {
    const r = await pm('healthy-000', '-n', 'shop', '-f', 'json');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('pod shop/healthy-000 has not restarted or failed');
    expect((JSON.parse(r.stdout) as Report).incidents).toEqual([]);
  });

  test('a pod or container that does not exist is one sentence, exit 1', async () => {
    const gone = await pm('no-such-pod', '-n', 'shop');
    expect(gone.status).toBe(1);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
    expect(gone.stderr).toContain('pod "no-such-pod" not found in namespace "shop"');
    expect(gone.stdout).toBe('');

    const noContainer = await pm('orders-7d9f8b6c5-z5x4c', '-n', 'shop', '-c', 'sidecar');
    expect(noContainer.status).toBe(1);
    expect(noContainer.stderr.trim()).toBe(
      'podmortem: pod shop/orders-7d9f8b6c5-z5x4c has no container "sidecar"; its containers: app, proxy.',
    );
  });

  test('a pod RBAC refuses to show is one sentence naming the rule, exit 1', async () => {
    s.inject({
      path: /^\/api\/v1\/namespaces\/payments\/pods\/ledger-0$/,
      status: 403,
      verb: 'get',
      resource: 'pods',
      namespace: 'payments',
      name: 'ledger-0',
    });
    const r = await pm('ledger-0', '-n', 'payments');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('RBAC forbids get pods in namespace "payments"');
    expect(r.stderr).toContain('{apiGroups: [""], resources: ["pods"], verbs: ["get"]}');
    expect(r.stderr).toContain('cannot get resource "pods" in API group "" in the namespace "payments"');
  });

  test('a refused log is missing evidence, not a failure: the status still diagnoses the container', async () => {
    // The scenario forbids every log of namespace payments.
    const r = await pm('ledger-0', '-n', 'payments', '-f', 'json');
    expect(r.status).toBe(0);
    const i = (JSON.parse(r.stdout) as Report).incidents[0]!;
    expect(i.subject).toMatchObject({ pod: 'ledger-0', exitCode: 1, restartCount: 3 });
    expect(i.notes.join(' ')).toContain('RBAC forbids get pods/log in namespace "payments"');
  });
});

describe('podmortem scan of one namespace', () => {
  test('says how many restarting pods the other namespaces hold', async () => {
    const r = await podmortemAsync(['scan', '--kubeconfig', s.kubeconfig, '-n', 'default']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      'other namespaces hold 7 restarting pod(s) (kube-system 1, payments 1, shop 5): podmortem scan -A',
    );
  });

  test('says nothing about other namespaces when RBAC refuses the cluster-wide list', async () => {
    s.inject({ path: /^\/api\/v1\/pods\?/, status: 403, verb: 'list', resource: 'pods' });
    const before = s.count(/^\/api\/v1\/pods$/);
    const r = await podmortemAsync(['scan', '--kubeconfig', s.kubeconfig, '-n', 'default']);
    expect(r.status).toBe(0);
    // The cluster-wide list was asked once, refused, and not retried.
    expect(s.count(/^\/api\/v1\/pods$/)).toBe(before + 1);
    expect(r.stderr).toContain('namespace default');
    expect(r.stderr).not.toContain('other namespaces');
  });
});
