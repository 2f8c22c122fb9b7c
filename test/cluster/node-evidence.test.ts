// --node-evidence: a node snapshot (one folder per node name, read with readNodeFacts) joins the API
// facts, so `scan` plus `podmortem node` output gives the full diagnosis. The snapshot here is the
// seed incident's node as it would have read: CentOS 7's default pid_max 32768 and /proc/loadavg
// with 32741 tasks (limits.md: pid_max 32768 is the kernel default that RHEL 7 keeps).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { correlate } from '../../src/diagnose/correlate.js';
import type { Incident, NodeFacts } from '../../src/evidence/types.js';
import { ClusterApi } from '../../src/sources/cluster/api.js';
import { loadKubeConfig } from '../../src/sources/cluster/kubeconfig.js';
import { scanCluster } from '../../src/pipeline/scan.js';
import type { Standin } from '../standin/server.mjs';
import { scenarioStandin } from './helpers.js';

let s: Standin;
const snaps = mkdtempSync(join(tmpdir(), 'pm-node-evidence-'));
beforeAll(async () => {
  s = await scenarioStandin();
  const root = join(snaps, '10.165.6.26');
  mkdirSync(join(root, 'proc', 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(root, 'proc', 'sys', 'kernel', 'pid_max'), '32768\n');
  writeFileSync(join(root, 'proc', 'sys', 'kernel', 'threads-max'), '1545394\n');
  writeFileSync(join(root, 'proc', 'loadavg'), '4.12 3.80 3.55 7/32741 31999\n');
});
afterAll(async () => {
  await s.close();
});

test('a node snapshot confirms kernel.pid_max for the calico-node crash and the node finding names the node-level limit', async () => {
  const { kc } = loadKubeConfig({ kubeconfig: s.kubeconfig });
  const { report } = await scanCluster(
    new ClusterApi(kc),
    { chunkSize: 500, concurrency: 8, logBytes: 1 << 20 },
    { nodeEvidenceDir: snaps },
  );
  const calico = report.incidents.find((i) => i.subject.pod === 'calico-node-56bgm')!;
  const pidMax = calico.causes.find((c) => c.id === 'kernel.pid_max')!;
  expect(pidMax.verdict).toBe('confirmed');
  expect(
    pidMax.evidence.some((e) => e.source.endsWith('/proc/sys/kernel/pid_max') && e.text.includes('32768')),
  ).toBe(true);
  expect(calico.causes[0]!.id).toBe('kernel.pid_max');
  const node = report.findings!.find((f) => f.kind === 'node' && f.node === '10.165.6.26')!;
  expect(node.summary).toContain('kernel.pid_max');
  // Nobody holding the PIDs is known from a snapshot without processes: the finding says how to learn it.
  expect(node.next.join(' ')).toContain('to name the workload holding most of kernel.pid_max');
  // A node without a snapshot keeps the API facts only (kernel from status.nodeInfo).
  const oom = report.incidents.find((i) => i.subject.node === 'worker-2')!;
  expect(oom.causes.find((c) => c.id === 'memory.cgroup')!.verdict).toBe('confirmed');
});

test('when node evidence says who holds most of the resource, the finding names that workload', () => {
  const crash = (pod: string, container: string, cause?: string): Incident => ({
    subject: {
      namespace: 'shop',
      pod,
      container,
      node: 'n1',
      finishedAt: '2026-11-29T11:50:00Z',
      exitCode: 2,
    },
    signatures: [],
    causes: cause
      ? [
          {
            id: cause,
            verdict: 'confirmed',
            summary: '',
            reasons: [],
            evidence: [],
            missing: [],
            remediation: [],
            weight: 1,
          },
        ]
      : [],
    notes: [],
  });
  const facts: NodeFacts = {
    root: '/snap/n1',
    unreadable: [],
    limits: [
      {
        id: 'kernel.pid_max',
        scope: 'node',
        used: 32741,
        max: 32768,
        ratio: 0.999,
        evidence: [{ source: '/snap/n1/proc/sys/kernel/pid_max', text: '32768' }],
        topConsumers: [{ name: 'pid 4711 (java) in pod shop/report-builder-0', used: 30112 }],
      },
    ],
  };
  const findings = correlate({
    incidents: [crash('api-1', 'api', 'kernel.pid_max'), crash('web-1', 'web')],
    notReady: [],
    problems: [],
    nodeEvidence: new Map([['n1', facts]]),
  });
  const node = findings.find((f) => f.kind === 'node')!;
  expect(node.root).toBe(0);
  expect(node.topConsumer).toEqual({
    name: 'pid 4711 (java) in pod shop/report-builder-0',
    used: 30112,
    limit: 'kernel.pid_max node',
  });
  expect(node.summary).toContain(
    'pid 4711 (java) in pod shop/report-builder-0 holds the most of kernel.pid_max (30112 of 32768)',
  );
  expect(node.blastRadius).toEqual([{ pod: 'shop/web-1', why: 'crashed (exit 2) in the same window' }]);
});

test('crashes on one node hours apart are not one window', () => {
  const at = (pod: string, t: string, cause?: string): Incident => ({
    subject: { namespace: 'x', pod, container: 'c', node: 'n1', finishedAt: t, owner: `Deployment x/${pod}` },
    signatures: [],
    causes: cause
      ? [
          {
            id: cause,
            verdict: 'likely',
            summary: '',
            reasons: [],
            evidence: [],
            missing: [],
            remediation: [],
            weight: 1,
          },
        ]
      : [],
    notes: [],
  });
  const findings = correlate({
    incidents: [at('a', '2026-11-29T08:00:00Z', 'kernel.threads-max'), at('b', '2026-11-29T11:00:00Z')],
    notReady: [],
    problems: [],
  });
  const node = findings.find((f) => f.kind === 'node')!;
  expect(node.blastRadius).toEqual([]);
  expect(node.incidents).toEqual([0]);
});
