// The planner against node files of every shape it meets, through the real pipeline (a saved report
// and a node folder read through HostRoot): edits that keep what the operator wrote, values taken
// from the diagnosis, limits never lowered, and the runtime's own units.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planFix } from '../../src/pipeline/fix.js';
import type { Change } from '../../src/fix/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'podmortem-plan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

type Cause = { id: string; verdict: string; commands?: string[] };

/** A saved report with one incident and these causes, and a node folder with these files. */
async function plan(causes: Cause[], files: Record<string, string>, node?: string) {
  const dir = join(tmp, `case-${++n}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'node', path)), { recursive: true });
    writeFileSync(join(dir, 'node', path), text);
  }
  mkdirSync(join(dir, 'node'), { recursive: true });
  const report = {
    schemaVersion: 1,
    incidents: [
      {
        subject: { namespace: 'ns', pod: 'p-0', container: 'c', ...(node ? { node } : {}) },
        signatures: [],
        causes: causes.map((c) => ({
          id: c.id,
          verdict: c.verdict,
          summary: 's',
          reasons: [],
          evidence: [],
          missing: [],
          remediation: c.commands ? [{ summary: 'r', commands: c.commands }] : [],
        })),
        notes: [],
      },
    ],
    warnings: [],
  };
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
  const r = await planFix({ inputs: [join(dir, 'report.json')], root: join(dir, 'node') });
  expect(r.inputErrors).toEqual([]);
  return r.plan;
}

const byPath = (changes: Change[], path: string) => changes.find((c) => c.path === path);

describe('the kubelet config', () => {
  it('adds pid.available to an evictionHard the operator wrote, keeps their systemReserved.pid and their comments', async () => {
    const config = [
      '# managed by hand',
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      'evictionHard:',
      '  memory.available: 500Mi   # our nodes are small',
      'systemReserved:',
      '  cpu: 500m',
      '  pid: "2000"',
      '',
    ].join('\n');
    const p = await plan([{ id: 'kernel.pid_max', verdict: 'likely' }], {
      'var/lib/kubelet/config.yaml': config,
      'proc/sys/kernel/pid_max': '32768\n',
    });
    const k = byPath(p.changes, '/var/lib/kubelet/config.yaml')!;
    expect(k.after).toBe(
      config.replace('# our nodes are small\n', '# our nodes are small\n  pid.available: 5%\n'),
    );
    expect(k.why).toContain('evictionHard.pid.available: 5%');
    expect(k.why).not.toContain('systemReserved');
  });

  it('raises a podPidsLimit below 4096 for a pids cgroup cause, and leaves an unset one alone', async () => {
    const low = await plan([{ id: 'cgroup.pids', verdict: 'confirmed' }], {
      'var/lib/kubelet/config.yaml': 'kind: KubeletConfiguration\npodPidsLimit: 1024\n',
      'var/lib/containerd/.keep': '',
    });
    expect(byPath(low.changes, '/var/lib/kubelet/config.yaml')!.after).toBe(
      'kind: KubeletConfiguration\npodPidsLimit: 4096\n',
    );
    // The runtime's unit gets TasksMax=infinity: containerd alone here.
    expect(low.changes.filter((c) => c.kind === 'systemd-dropin').map((c) => c.path)).toEqual([
      '/etc/systemd/system/containerd.service.d/podmortem-limits.conf',
    ]);
    const unset = await plan([{ id: 'cgroup.pids', verdict: 'confirmed' }], {
      'var/lib/kubelet/config.yaml': 'kind: KubeletConfiguration\n',
      'var/lib/containerd/.keep': '',
    });
    expect(unset.changes.map((c) => c.kind)).toEqual(['systemd-dropin']);
  });

  it('says what to set by hand when the node has no config file (a kubelet run with flags)', async () => {
    const p = await plan([{ id: 'kernel.pid_max', verdict: 'confirmed' }], {
      'proc/sys/kernel/pid_max': '32768\n',
    });
    expect(p.changes.map((c) => c.kind)).toEqual(['sysctl-live', 'sysctl-file']);
    expect(p.skipped.join(' ')).toContain('/var/lib/kubelet/config.yaml does not exist on this node');
  });
});

describe('sysctl files', () => {
  it('edits the /etc file that already sets the key, in place, instead of adding one that could lose at boot', async () => {
    const conf = '# site settings\nkernel.pid_max = 65536\nvm.swappiness = 10\n';
    const p = await plan([{ id: 'kernel.pid_max', verdict: 'confirmed' }], {
      'etc/sysctl.conf': conf,
      'proc/sys/kernel/pid_max': '65536\n',
    });
    expect(p.changes.map((c) => c.path)).toContain('/etc/sysctl.conf');
    expect(byPath(p.changes, '/etc/sysctl.conf')!.after).toBe(conf.replace('65536', '4194304'));
    expect(byPath(p.changes, '/etc/sysctl.d/90-pid-max.conf')).toBeUndefined();
  });

  it("takes the value the cause computed (fs.file-max x4) from the report's sysctl -w", async () => {
    const p = await plan(
      [{ id: 'fs.file-max', verdict: 'confirmed', commands: ['sysctl -w fs.file-max=1600000'] }],
      { 'proc/sys/fs/file-max': '400000\n' },
    );
    expect(byPath(p.changes, '/proc/sys/fs/file-max')).toMatchObject({
      after: '1600000\n',
      command: 'sysctl -w fs.file-max=1600000',
    });
    expect(byPath(p.changes, '/etc/sysctl.d/90-file-max.conf')!.after).toMatch(/^fs\.file-max = 1600000$/m);
  });

  it('never lowers a limit: a node already above the value is left alone', async () => {
    const p = await plan([{ id: 'inotify.watches', verdict: 'likely' }], {
      'proc/sys/fs/inotify/max_user_watches': '1048576\n',
      'etc/sysctl.d/99-watches.conf': 'fs.inotify.max_user_watches = 1048576\n',
    });
    expect(p.changes).toEqual([]);
  });

  it('names its file to come after a vendor file that sets the key later at boot', async () => {
    const p = await plan([{ id: 'kernel.pid_max', verdict: 'confirmed' }], {
      'usr/lib/sysctl.d/99-vendor.conf': 'kernel.pid_max = 32768\n',
      'proc/sys/kernel/pid_max': '32768\n',
    });
    expect(p.changes.map((c) => c.path)).toContain('/etc/sysctl.d/99-zz-pid-max.conf');
  });

  it('puts both inotify limits in one 90-inotify.conf', async () => {
    const p = await plan(
      [
        { id: 'inotify.instances', verdict: 'confirmed' },
        { id: 'inotify.watches', verdict: 'likely' },
      ],
      { 'proc/sys/fs/inotify/max_user_watches': '8192\n', 'proc/sys/fs/inotify/max_user_instances': '128\n' },
    );
    const f = byPath(p.changes, '/etc/sysctl.d/90-inotify.conf')!;
    expect(f.after).toMatch(/^fs\.inotify\.max_user_instances = 8192$/m);
    expect(f.after).toMatch(/^fs\.inotify\.max_user_watches = 524288$/m);
  });
});

describe('which node', () => {
  it("plans no node change for a crash on another node than the root's", async () => {
    const files = { 'etc/hostname': 'worker-1\n', 'proc/sys/kernel/pid_max': '32768\n' };
    const other = await plan([{ id: 'kernel.pid_max', verdict: 'confirmed' }], files, 'worker-2');
    expect(other.changes).toEqual([]);
    expect(other.skipped[0]).toContain('it crashed on node worker-2, not on worker-1');
    const same = await plan([{ id: 'kernel.pid_max', verdict: 'confirmed' }], files, 'worker-1');
    expect(same.changes.map((c) => c.path)).toContain('/etc/sysctl.d/90-pid-max.conf');
  });
});

describe('systemd drop-ins', () => {
  it("sets LimitNOFILE for Docker's units and keeps what a drop-in of ours already holds", async () => {
    const p = await plan([{ id: 'rlimit.nofile', verdict: 'likely' }], {
      'var/lib/docker/.keep': '',
      'etc/systemd/system/docker.service.d/podmortem-limits.conf': '[Service]\nTasksMax=infinity\n',
    });
    expect(p.changes.map((c) => [c.path, c.after])).toEqual([
      [
        '/etc/systemd/system/containerd.service.d/podmortem-limits.conf',
        '# podmortem fix: limits the containers of containerd.service inherit\n[Service]\nLimitNOFILE=1048576\n',
      ],
      [
        '/etc/systemd/system/docker.service.d/podmortem-limits.conf',
        '[Service]\nTasksMax=infinity\nLimitNOFILE=1048576\n',
      ],
    ]);
    expect(p.changes.every((c) => c.daemonReload)).toBe(true);
    expect(p.cautions.join(' ')).toContain('Restarting the container runtime');
  });

  it('plans nothing for possible, unlikely and ruled-out causes, and names causes with no file to change', async () => {
    const p = await plan(
      [
        { id: 'kernel.pid_max', verdict: 'possible' },
        { id: 'rlimit.nofile', verdict: 'ruled-out' },
        { id: 'seccomp.clone3', verdict: 'likely' },
      ],
      {},
    );
    expect(p.changes).toEqual([]);
    expect(p.answers).toEqual(['likely seccomp.clone3 on ns/p-0/c']);
    expect(p.skipped).toEqual([
      "seccomp.clone3 on ns/p-0/c: no file on the node or the workload fixes it; follow the report's remediation (podmortem explain seccomp.clone3).",
    ]);
  });
});

describe('the workload patch', () => {
  it('follows a ReplicaSet to its Deployment and rounds the raised limit up to 64Mi', async () => {
    const dir = join(tmp, 'wl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'report.json'),
      JSON.stringify({
        schemaVersion: 1,
        incidents: [
          {
            subject: { namespace: 'web', pod: 'api-5f7c9d8b4-abcde', container: 'api' },
            signatures: [],
            causes: [
              {
                id: 'memory.cgroup',
                verdict: 'likely',
                summary: 's',
                reasons: [],
                evidence: [],
                missing: [],
                remediation: [],
              },
            ],
            notes: [],
          },
        ],
        warnings: [],
      }),
    );
    writeFileSync(
      join(dir, 'pod.yaml'),
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: api-5f7c9d8b4-abcde',
        '  namespace: web',
        '  labels: { pod-template-hash: 5f7c9d8b4 }',
        '  ownerReferences: [{ apiVersion: apps/v1, kind: ReplicaSet, name: api-5f7c9d8b4, controller: true, uid: x }]',
        'spec:',
        '  containers:',
        '  - name: sidecar',
        '    resources: { limits: { memory: 64Mi } }',
        '  - name: api',
        '    resources: { limits: { memory: 1000M }, requests: { memory: 512Mi } }',
      ].join('\n'),
    );
    const r = await planFix({ inputs: [join(dir, 'report.json'), join(dir, 'pod.yaml')] });
    expect(r.inputErrors).toEqual([]);
    const [c] = r.plan.changes;
    expect(c!.path).toBe('kustomize/deployment-web-api.yaml');
    // 1000M x 1.5 = 1430.5Mi, rounded up to 1472Mi; the request (not equal to the limit) is left alone.
    expect(parse(c!.after)).toMatchObject({
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'web' },
      spec: {
        template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '1472Mi' } } }] } },
      },
    });
    expect(c!.after).not.toContain('requests');
  });

  it('from a pod or scan report alone: the owner it names and the limit it quotes', async () => {
    const dir = join(tmp, 'wl-report');
    mkdirSync(dir, { recursive: true });
    const evidence = [
      { source: 'pod db/pg-0 (containers[pg].resources.limits.memory)', text: 'memory: 1Gi' },
    ];
    writeFileSync(
      join(dir, 'report.json'),
      JSON.stringify({
        schemaVersion: 1,
        incidents: [
          {
            subject: { namespace: 'db', pod: 'pg-0', container: 'pg', owner: 'StatefulSet db/pg' },
            signatures: [],
            causes: [
              {
                id: 'memory.cgroup',
                verdict: 'confirmed',
                summary: 's',
                reasons: [],
                evidence,
                missing: [],
                remediation: [],
              },
            ],
            notes: [],
          },
        ],
        warnings: [],
      }),
    );
    const r = await planFix({ inputs: [join(dir, 'report.json')] });
    const [c] = r.plan.changes;
    expect(c!.path).toBe('kustomize/statefulset-db-pg.yaml');
    expect(c!.command).toBe(
      `kubectl -n db patch statefulset pg --type strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"pg","resources":{"limits":{"memory":"1536Mi"}}}]}}}}'`,
    );
    expect(c!.why).toContain('from 1Gi to 1536Mi');
  });
});
