// One node, one answer: `podmortem node --root X` (which finds the crashed container in X's kubelet
// log folder) and `podmortem analyze --node-root X <that log>` read the node through the same reader
// and diagnose through the same diagnoseContainer, so they must report the same node.limits and the
// same verdicts for the same container, on every layout: the calico example (CentOS 7, cgroup v1,
// cgroupfs), a cgroup v2 node with the systemd driver, and a cgroup v1 node whose kernel log names
// the pod's rejected forks.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { ensureBuilt, podmortem } from '../cli/helpers.js';
import { writeTree } from '../sources/host/tree.js';

ensureBuilt();
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

/** A CRI log line as containerd writes it under /var/log/pods. */
const cri = (text: string, i: number) =>
  `2026-11-29T03:14:${String(10 + i).padStart(2, '0')}.000000000Z stderr F ${text}`;
const GO_THREADS = [
  'runtime: failed to create new OS thread (have 41 already; errno=11)',
  'runtime: may need to increase max user processes (ulimit -u)',
  'fatal error: newosproc',
];

interface Snapshot {
  name: string;
  root: string;
  log: string;
}

function logPath(ns: string, pod: string, uid: string, container: string, run: number): string {
  return `var/log/pods/${ns}_${pod}_${uid}/${container}/${run}.log`;
}

function calico(): Snapshot {
  const root = mkdtempSync(join(tmpdir(), 'podmortem-agree-calico-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  cpSync('examples/calico-node-newosproc/node', root, { recursive: true });
  const log = logPath(
    'kube-system',
    'calico-node-56bgm',
    '8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813',
    'calico-node',
    21,
  );
  mkdirSync(join(root, log, '..'), { recursive: true });
  writeFileSync(join(root, log), GO_THREADS.map(cri).join('\n') + '\n');
  return { name: 'the calico example (CentOS 7, cgroup v1, cgroupfs)', root, log };
}

function v2systemd(): Snapshot {
  const uid = '0f5b2c7e-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
  const u = uid.replace(/-/g, '_');
  const cid = 'a'.repeat(64);
  const pod = `sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice`;
  const log = logPath('shop', 'checkout-7d9f', uid, 'app', 4);
  const snap = writeTree({
    'etc/hostname': 'node-v2\n',
    'proc/sys/kernel/pid_max': '4194304\n',
    'proc/sys/kernel/threads-max': '255000\n',
    'proc/loadavg': '1.00 1.00 1.00 3/2400 99999\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids\n',
    'sys/fs/cgroup/kubepods.slice/pids.max': 'max\n',
    'sys/fs/cgroup/kubepods.slice/pids.current': '1200\n',
    'sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pids.max': 'max\n',
    [`${pod}/pids.max`]: '1024\n',
    [`${pod}/pids.current`]: '1024\n',
    [`${pod}/pids.peak`]: '1024\n',
    [`${pod}/pids.events`]: 'max 37\n',
    [`${pod}/memory.max`]: 'max\n',
    [`${pod}/cri-containerd-${cid}.scope/pids.max`]: 'max\n',
    [`${pod}/cri-containerd-${cid}.scope/pids.current`]: '1019\n',
    [`${pod}/cri-containerd-${cid}.scope/memory.max`]: '536870912\n',
    [`${pod}/cri-containerd-${cid}.scope/memory.current`]: '36866816\n',
    'var/lib/kubelet/config.yaml': 'kind: KubeletConfiguration\ncgroupDriver: systemd\npodPidsLimit: 1024\n',
    'dmesg.txt': '[ 951.000000] eth0: link up\n',
    [log]: GO_THREADS.map(cri).join('\n') + '\n',
  });
  cleanups.push(snap.cleanup);
  return { name: 'a cgroup v2 node with the systemd driver', root: snap.root, log };
}

function v1kernelLines(): Snapshot {
  const uid = '11111111-2222-3333-4444-555555555555';
  const cid = 'b'.repeat(64);
  const pod = `sys/fs/cgroup/pids/kubepods/besteffort/pod${uid}`;
  const log = logPath('batch', 'worker-0', uid, 'sh', 1);
  const snap = writeTree({
    'etc/hostname': 'node-v1\n',
    'proc/sys/kernel/pid_max': '32768\n',
    'proc/sys/kernel/threads-max': '120000\n',
    'proc/loadavg': '0.10 0.20 0.30 1/900 4242\n',
    'proc/sys/fs/file-max': '9223372036854775807\n',
    'proc/sys/fs/file-nr': '2048 0 9223372036854775807\n',
    'sys/fs/cgroup/pids/kubepods/pids.max': 'max\n',
    'sys/fs/cgroup/pids/kubepods/besteffort/pids.max': 'max\n',
    [`${pod}/pids.max`]: '64\n',
    [`${pod}/pids.current`]: '3\n',
    [`${pod}/pids.events`]: 'max 0\n',
    [`${pod}/${cid}/pids.max`]: 'max\n',
    [`${pod}/${cid}/pids.current`]: '2\n',
    'sys/fs/cgroup/memory/kubepods/memory.limit_in_bytes': '9223372036854771712\n',
    'var/log/dmesg': `[ 534.194646] cgroup: fork rejected by pids controller in /kubepods/besteffort/pod${uid}/${cid}\n`,
    [log]: ['sh: fork: retry: Resource temporarily unavailable', 'sh: fork: Resource temporarily unavailable']
      .map(cri)
      .join('\n'),
  });
  cleanups.push(snap.cleanup);
  return { name: 'a cgroup v1 node whose kernel log names the rejected forks', root: snap.root, log };
}

function json(args: string[]): Report {
  const r = podmortem([...args, '--format', 'json']);
  expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

const verdicts = (rep: Report) =>
  rep.incidents.map((i) => ({
    container: `${i.subject.namespace}/${i.subject.pod}/${i.subject.container}`,
    restartCount: i.subject.restartCount,
    signatures: i.signatures.map((s) => s.id).sort(),
    causes: i.causes.map((c) => `${c.id} ${c.verdict}`),
  }));

describe.each([calico, v2systemd, v1kernelLines])('node and analyze agree', (make) => {
  const snap = make();
  const byNode = json(['node', '--root', snap.root]);
  const byAnalyze = json(['analyze', '--node-root', snap.root, join(snap.root, snap.log)]);

  it(`${snap.name}: the same node.limits`, () => {
    expect(byNode.node?.limits.length).toBeGreaterThan(0);
    expect(byAnalyze.node?.limits).toEqual(byNode.node?.limits);
  });

  it(`${snap.name}: the same container with the same verdicts`, () => {
    expect(byNode.incidents).toHaveLength(1);
    expect(verdicts(byAnalyze)).toEqual(verdicts(byNode));
    expect(byNode.incidents[0]!.causes.length).toBeGreaterThan(1);
  });
});

describe('what the three snapshots conclude', () => {
  it('calico: kernel.pid_max confirmed and first, as the README shows', () => {
    const rep = json(['node', '--root', calico().root]);
    expect(rep.incidents[0]!.causes[0]).toMatchObject({ id: 'kernel.pid_max', verdict: 'confirmed' });
  });

  it('v2 systemd: the pod-level pids limit at its peak with 37 refusals confirms cgroup.pids', () => {
    const rep = json(['node', '--root', v2systemd().root]);
    expect(rep.incidents[0]!.causes[0]).toMatchObject({ id: 'cgroup.pids', verdict: 'confirmed' });
  });

  it('v1 with kernel lines: the fork rejection naming the container confirms cgroup.pids; file-max at LONG_MAX is no limit', () => {
    const rep = json(['node', '--root', v1kernelLines().root]);
    expect(rep.incidents[0]!.causes[0]).toMatchObject({ id: 'cgroup.pids', verdict: 'confirmed' });
    expect(rep.node?.limits.find((l) => l.id === 'fs.file-max')).toMatchObject({ max: null, ratio: null });
  });
});
