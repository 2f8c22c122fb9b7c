// `podmortem node` on a real containerd, with no Docker at all: the crashed containers come from the
// kubelet-style log folder and from containerd's own record through CRI (--runtime-endpoint), and
// each gets the exit code and reason containerd recorded and the right top verdict.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../../src/evidence/types.js';
import { CLI, ensureBuilt } from '../../cli/helpers.js';
import { expectValidReport } from '../../schema/report-check.js';
import { ContainerdLab, labUnavailable, type LabPod } from './lab.js';

const why = labUnavailable();
const ci = process.env.CI === 'true';
if (why && !ci) console.warn(`containerd node lab skipped: ${why}`);

function node(args: string[]): { status: number | null; report?: Report; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'node', ...args, '--format', 'json'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 << 20,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.status === 0) expectValidReport(r.stdout);
  return {
    status: r.status,
    ...(r.status === 0 ? { report: JSON.parse(r.stdout) as Report } : {}),
    stderr: r.stderr,
  };
}

describe.skipIf(why !== undefined && !ci)('podmortem node on a real containerd (CRI)', () => {
  let lab: ContainerdLab;
  let threads: LabPod;
  let hog: LabPod;
  let report: Report;

  beforeAll(async () => {
    if (why) throw new Error(`the containerd lab cannot run: ${why}`);
    ensureBuilt();
    lab = new ContainerdLab();
    await lab.start();
    // A Go daemon at its pod's pids limit, then the kubelet's restart of it, which stays up.
    threads = await lab.runPod({ pod: 'calico-node-ctd', namespace: 'kube-system', podPidsMax: 30 });
    const crashed = await lab.runContainer(threads, {
      container: 'calico-node',
      command: ['/bin/crashlab', 'threads'],
    });
    await lab.exited(crashed);
    await lab.runContainer(threads, {
      container: 'calico-node',
      attempt: 1,
      command: ['/bin/crashlab', 'hold', '3'],
    });
    await lab.logged(join(threads.logDirectory, 'calico-node', '1.log'), 'crashlab: holding 3 threads');
    // A container OOM-killed at 16 MiB.
    hog = await lab.runPod({ pod: 'hog-ctd', namespace: 'lab' });
    const oom = await lab.runContainer(hog, {
      container: 'hog',
      command: ['/bin/crashlab', 'memory'],
      memory: 16 << 20,
    });
    await lab.exited(oom);
    await lab.oomRecorded(oom);
    const r = node(['--root', '/', '--log-dir', lab.logDir, '--runtime-endpoint', `unix://${lab.socket}`]);
    expect(r.status, r.stderr).toBe(0);
    report = r.report!;
  }, 300_000);

  afterAll(async () => {
    await lab?.teardown();
  });

  const incident = (pod: string) => report.incidents.find((i) => i.subject.pod === pod)!;

  it('names the runtime and the endpoint it read', () => {
    expect(report.node?.runtime).toMatchObject({ name: 'containerd', endpoint: `unix://${lab.socket}` });
  });

  it('the Go daemon: exit 2 as containerd recorded it, cgroup.pids confirmed, RLIMIT_NPROC ruled out for root', () => {
    const i = incident('calico-node-ctd');
    expect(i.subject).toMatchObject({
      namespace: 'kube-system',
      container: 'calico-node',
      exitCode: 2,
      reason: 'Error',
      restartCount: 1,
    });
    expect(i.subject.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(i.signatures.map((s) => s.id)).toContain('go.newosproc');
    expect(i.causes[0]).toMatchObject({ id: 'cgroup.pids', verdict: 'confirmed' });
    expect(i.causes.find((c) => c.id === 'rlimit.nproc')?.verdict).toBe('ruled-out');
  });

  it('the OOM kill: exit 137 and OOMKilled as containerd recorded them, memory.cgroup confirmed', () => {
    const i = incident('hog-ctd');
    expect(i.subject).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(i.causes[0]).toMatchObject({ id: 'memory.cgroup', verdict: 'confirmed' });
  });

  it('an explicit endpoint that cannot be used exits 1 with one sentence', () => {
    const r = node([
      '--root',
      '/',
      '--log-dir',
      lab.logDir,
      '--runtime-endpoint',
      `unix://${lab.tmp}/nothing.sock`,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`unix://${lab.tmp}/nothing.sock`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('podmortem node with no runtime socket at all', () => {
  it('says which endpoints it tried', () => {
    ensureBuilt();
    const root = mkdtempSync(join(tmpdir(), 'podmortem-noruntime-'));
    try {
      const r = node(['--root', root]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.report!.warnings.join('\n')).toContain(
        'No container runtime answered (tried unix:///run/containerd/containerd.sock, unix:///run/crio/crio.sock, unix:///var/run/cri-dockerd.sock, unix:///var/run/docker.sock',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
