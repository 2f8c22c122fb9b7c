// The scan against the API stand-in, through the real @kubernetes/client-node client (HTTPS with a
// CA, a bearer token from a kubeconfig): what an operator reads in the report, and what the API
// server saw (pagination, retries, bounded requests).
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { ClusterApi } from '../../src/sources/cluster/api.js';
import { ClusterUnreachable, type ScanScope } from '../../src/sources/cluster/gather.js';
import { loadKubeConfig } from '../../src/sources/cluster/kubeconfig.js';
import { DEFAULT_RETRY } from '../../src/sources/cluster/retry.js';
import { scanCluster } from '../../src/pipeline/scan.js';
import type { Standin } from '../standin/server.mjs';
import { scenarioStandin } from './helpers.js';

const ALL: ScanScope = { chunkSize: 10, concurrency: 8, logBytes: 1 << 20 };
/** Short backoff so retries do not slow the suite; Retry-After is still honoured as sent. */
const FAST = { ...DEFAULT_RETRY, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 5000 };

let s: Standin;
beforeEach(async () => {
  s = await scenarioStandin();
});
afterEach(async () => {
  await s.close();
});

async function scan(scope: Partial<ScanScope> = {}, retry = FAST) {
  const { kc } = loadKubeConfig({ kubeconfig: s.kubeconfig });
  const api = new ClusterApi(kc, retry);
  return { api, ...(await scanCluster(api, { ...ALL, ...scope })) };
}

const incident = (r: Report, pod: string) => r.incidents.find((i) => i.subject.pod === pod);

describe('scan against the stand-in', () => {
  test('names the calico-node crash as the root of its node, with its signature and the pods of that node as blast radius', async () => {
    const { report } = await scan();
    const calico = incident(report, 'calico-node-56bgm')!;
    expect(calico.subject).toMatchObject({
      namespace: 'kube-system',
      node: '10.165.6.26',
      restartCount: 21,
      exitCode: 2,
      owner: 'DaemonSet kube-system/calico-node',
    });
    const hit = calico.signatures.find((h) => h.id === 'go.newosproc')!;
    expect(hit.fields).toMatchObject({ threads: 41, errno: 11 });
    expect(hit.evidence[0]).toMatchObject({
      source: 'kube-system/calico-node-56bgm/calico-node (previous log)',
      line: 1,
    });
    // Privileged (from the pod spec through the API): RLIMIT_NPROC cannot be what stopped it.
    expect(calico.causes.find((c) => c.id === 'rlimit.nproc')?.verdict).toBe('ruled-out');

    const node = report.findings!.find((f) => f.kind === 'node' && f.node === '10.165.6.26')!;
    expect(report.incidents[node.root!]!.subject.pod).toBe('calico-node-56bgm');
    expect(node.blastRadius!.map((b) => b.pod).sort()).toEqual([
      'shop/cart-5f6d8b7c9-x2k9p',
      'shop/search-7c9d6f5b4-m3n8q',
      'shop/web-6d8f7b9c5-k7p2w',
    ]);
    expect(node.evidence[0]!.text).toContain('failed to create new OS thread');
    // Pods of other nodes are not in this blast radius.
    expect(node.blastRadius!.some((b) => b.pod.includes('checkout'))).toBe(false);
  });

  test('an OOMKilled container comes out with memory.cgroup confirmed, and its two replicas as one finding', async () => {
    const { report } = await scan();
    const oom = incident(report, 'checkout-6b7f9d8c4-q8w2e')!;
    expect(oom.subject).toMatchObject({
      reason: 'OOMKilled',
      exitCode: 137,
      owner: 'Deployment shop/checkout',
    });
    const mem = oom.causes.find((c) => c.id === 'memory.cgroup')!;
    expect(mem.verdict).toBe('confirmed');
    expect(
      mem.evidence.some(
        (e) => e.source.includes('status.containerStatuses[app]') && e.text.includes('OOMKilled'),
      ),
    ).toBe(true);
    const replicas = report.findings!.filter((f) => f.kind === 'replicas');
    expect(replicas).toHaveLength(1);
    expect(replicas[0]!.summary).toContain('2 replicas of Deployment shop/checkout');
    expect(replicas[0]!.incidents.map((i) => report.incidents[i]!.subject.pod).sort()).toEqual([
      'checkout-6b7f9d8c4-q8w2e',
      'checkout-6b7f9d8c4-r4t7y',
    ]);
  });

  test('exit 137 after liveness failures is not an OOM kill: memory.cgroup is not confirmed and the probe failure is evidence', async () => {
    const { report } = await scan();
    const cart = incident(report, 'cart-5f6d8b7c9-x2k9p')!;
    expect(cart.subject).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(cart.signatures.find((h) => h.id === 'k8s.liveness-failed')?.evidence[0]?.source).toBe(
      'events of pod shop/cart-5f6d8b7c9-x2k9p',
    );
    expect(cart.causes.find((c) => c.id === 'memory.cgroup')?.verdict).not.toBe('confirmed');
  });

  test('logs forbidden by RBAC are missing evidence naming the rule, and the scan still reports the container', async () => {
    const { report } = await scan();
    const ledger = incident(report, 'ledger-0')!;
    expect(ledger.subject).toMatchObject({ namespace: 'payments', exitCode: 1, restartCount: 3 });
    expect(ledger.notes.join(' ')).toContain('RBAC forbids get pods/log in namespace "payments"');
    const missing = report.findings!.find((f) => f.kind === 'missing-evidence')!;
    expect(missing.summary).toContain('get pods/log in namespace "payments"');
    expect(missing.next[0]).toContain('resources: ["pods/log"], verbs: ["get"]');
    expect(report.incidents[missing.incidents[0]!]!.subject.pod).toBe('ledger-0');
    // The refused request really reached the API server, once (a 403 is an answer, not retried).
    expect(s.count(/^\/api\/v1\/namespaces\/payments\/pods\/ledger-0\/log$/)).toBe(1);
  });

  test('lists pods with limit/continue pagination and asks for each pod, owner and node once', async () => {
    const { evidence } = await scan();
    const lists = s.requests.filter((r) => r.path === '/api/v1/pods');
    // 37 pods, 10 per page.
    expect(lists).toHaveLength(4);
    expect(lists.every((r) => r.query.limit === '10')).toBe(true);
    expect(lists[0]!.query.continue).toBeUndefined();
    expect(
      lists.slice(1).every((r) => typeof r.query.continue === 'string' && r.query.continue.length > 0),
    ).toBe(true);
    expect(evidence.stats).toMatchObject({ pods: 37, pages: 4 });
    // Replicas share their ReplicaSet and Deployment: one GET each.
    expect(s.count(/\/replicasets\/checkout-6b7f9d8c4$/)).toBe(1);
    expect(s.count(/\/deployments\/checkout$/)).toBe(1);
    expect(s.count(/^\/api\/v1\/nodes\//)).toBe(3);
    // Events: one LIST for shop (4 crashed pods there), one field-selected LIST per pod elsewhere.
    const events = s.requests.filter((r) => r.path.endsWith('/events'));
    expect(
      events.filter((r) => r.path === '/api/v1/namespaces/shop/events').map((r) => r.query.fieldSelector),
    ).toEqual(['involvedObject.kind=Pod']);
    expect(events.find((r) => r.path === '/api/v1/namespaces/kube-system/events')!.query.fieldSelector).toBe(
      'involvedObject.name=calico-node-56bgm,involvedObject.namespace=kube-system',
    );
    // Logs asked with previous=true and the byte bound.
    const logs = s.requests.filter((r) => r.path.endsWith('/log'));
    expect(logs).toHaveLength(6);
    expect(logs.every((r) => r.query.previous === 'true' && r.query.limitBytes === String(1 << 20))).toBe(
      true,
    );
    expect(evidence.stats.requests).toBe(s.requests.length);
    // Connections are reused (keep-alive), not one TLS handshake per request.
    expect(s.connections).toBeLessThanOrEqual(8);
  });

  test('a 429 with Retry-After and a 500 are retried, and the scan completes', async () => {
    s.inject({ path: /^\/api\/v1\/pods\?/, status: 429, retryAfter: 1 });
    s.inject({ path: /^\/api\/v1\/namespaces\/shop\/events\?/, status: 500 });
    const { report, evidence } = await scan();
    const first = s.requests.filter((r) => r.path === '/api/v1/pods' && r.query.continue === undefined);
    expect(first).toHaveLength(2);
    expect(evidence.stats.retries).toBe(2);
    expect(incident(report, 'checkout-6b7f9d8c4-q8w2e')).toBeDefined();
    expect(report.findings!.filter((f) => f.kind === 'missing-evidence')).toHaveLength(1); // only the RBAC one
  });

  test('a slow answer holds one slot of the pool, not the scan; a vanished owner is reported, not fatal', async () => {
    s.inject({ path: /calico-node-56bgm\/log/, delayMs: 1500 });
    s.inject({ path: /\/statefulsets\/ledger$/, status: 404 });
    const { report } = await scan();
    expect(incident(report, 'calico-node-56bgm')!.signatures.some((h) => h.id === 'go.newosproc')).toBe(true);
    expect(incident(report, 'ledger-0')!.notes.join(' ')).toContain('StatefulSet payments/ledger');
  });

  test('a scan that may not list pods cluster-wide says which rule is missing, instead of failing', async () => {
    s.inject({ path: /^\/api\/v1\/pods\?/, status: 403, times: Infinity, verb: 'list', resource: 'pods' });
    const { report } = await scan();
    expect(report.incidents).toEqual([]);
    const missing = report.findings!.find((f) => f.kind === 'missing-evidence')!;
    expect(missing.summary).toContain('RBAC forbids list pods at cluster scope');
    expect(missing.evidence[0]!.text).toBe(
      'pods is forbidden: User "system:serviceaccount:podmortem:podmortem" cannot list resource "pods" in API group "" at the cluster scope',
    );
  });

  test('-n and -l narrow the list server-side', async () => {
    const { report } = await scan({ namespace: 'shop', labelSelector: 'app=checkout-6b7f9d8c4' });
    expect(report.incidents.map((i) => i.subject.pod).sort()).toEqual([
      'checkout-6b7f9d8c4-q8w2e',
      'checkout-6b7f9d8c4-r4t7y',
    ]);
    const list = s.requests.find((r) => r.path === '/api/v1/namespaces/shop/pods')!;
    expect(list.query.labelSelector).toBe('app=checkout-6b7f9d8c4');
  });

  test('an unreachable API server stops the scan with one sentence', async () => {
    const url = s.url;
    await s.close();
    const { kc } = loadKubeConfig({ kubeconfig: s.kubeconfig });
    const api = new ClusterApi(kc, { ...FAST, retries: 1 });
    await expect(scanCluster(api, ALL)).rejects.toThrow(ClusterUnreachable);
    await expect(scanCluster(api, ALL)).rejects.toThrow(`cannot reach the API server at ${url}`);
    s = await scenarioStandin(); // afterEach closes it
  });
});

describe('log bounds', () => {
  test('a log that stalls half-way is cut after the idle timeout; what arrived is diagnosed and the scan goes on', async () => {
    s.state.stalledLogs.add('kube-system/calico-node-56bgm/calico-node');
    const { report } = await scan({}, { ...FAST, timeoutMs: 1000 });
    const calico = incident(report, 'calico-node-56bgm')!;
    // The first half of the seed log holds the crash line.
    expect(calico.signatures.some((h) => h.id === 'go.newosproc')).toBe(true);
    expect(
      report.warnings.some((w) =>
        w.includes('calico-node (previous log): the log stream broke off (no log data for 1s)'),
      ),
    ).toBe(true);
    expect(report.incidents).toHaveLength(6);
  });

  test('a server that ignores limitBytes still yields at most limitBytes to the scanner', async () => {
    const { startStandin } = await import('../standin/server.mjs');
    const { scenario, CALICO_LOG } = await import('../standin/scenario.mjs');
    const cluster = scenario({ healthy: 0 });
    // 8 MiB of noise after the crash lines: only the first 64 KiB may be read.
    cluster.logs['kube-system/calico-node-56bgm/calico-node'] = {
      previous: CALICO_LOG + 'noise line of a chatty agent\n'.repeat(300_000),
    };
    const big = await startStandin(cluster, { ignoreLimitBytes: true });
    try {
      const { kc } = loadKubeConfig({ kubeconfig: big.kubeconfig });
      const { report } = await scanCluster(new ClusterApi(kc, FAST), {
        chunkSize: 500,
        concurrency: 4,
        logBytes: 64 * 1024,
      });
      const calico = report.incidents.find((i) => i.subject.pod === 'calico-node-56bgm')!;
      expect(calico.signatures.some((h) => h.id === 'go.newosproc')).toBe(true);
      // The tail shows the last lines read: within the first 64 KiB, far from the 300,000th line.
      const lastLine = calico.tail![calico.tail!.length - 1]!.line!;
      expect(lastLine).toBeLessThan((64 * 1024) / 29 + 20);
    } finally {
      await big.close();
    }
  });
});
