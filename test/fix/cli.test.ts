// `podmortem fix` through the built CLI, as an operator runs it: the calico example's diff, its files
// (--out), applied to a copy of the node snapshot (--apply --root) with backups, and the analysis
// of that copy afterwards; a memory report's workload patch; the exits a script relies on.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Report } from '../../src/evidence/types.js';
import { ensureBuilt, podmortem } from '../cli/helpers.js';
import { describeNeeding } from '../prerequisites.js';

const EX = 'examples/calico-node-newosproc';
const CALICO = [`${EX}/calico-node.log`, `${EX}/pod.yaml`, '--node-root', `${EX}/node`];
const OOM = 'test/fix/fixtures/oom-java';

let tmp: string;
beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'podmortem-fix-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh copy of the example's node snapshot. */
function copyOfNode(name: string): string {
  const dir = join(tmp, name);
  cpSync(`${EX}/node`, dir, { recursive: true });
  return dir;
}

function causeVerdict(report: Report, id: string): string | undefined {
  return report.incidents[0]?.causes.find((c) => c.id === id)?.verdict;
}

describe('podmortem fix on the calico example', () => {
  it('prints a diff with the sysctl.d file, the running value and the kubelet config change', () => {
    const r = podmortem(['fix', ...CALICO]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^# podmortem fix: confirmed kernel\.pid_max on kube-system\/calico-node-56bgm\/calico-node$/m,
    );
    expect(r.stdout).toContain('--- /dev/null\n+++ b/etc/sysctl.d/90-pid-max.conf\n');
    expect(r.stdout).toContain('+kernel.pid_max = 4194304\n');
    expect(r.stdout).toContain('#   sysctl -w kernel.pid_max=4194304');
    expect(r.stdout).toContain('--- a/var/lib/kubelet/config.yaml\n+++ b/var/lib/kubelet/config.yaml\n');
    expect(r.stdout).toContain('+  pid.available: 5%\n');
    expect(r.stdout).toContain('+  pid: "1000"\n');
    expect(r.stdout).toContain('#   systemctl restart kubelet');
  });

  it('prints the same bytes on every run, and the same from the saved report', () => {
    const a = podmortem(['fix', ...CALICO]);
    const b = podmortem(['fix', ...CALICO]);
    expect(b.stdout).toBe(a.stdout);
    const report = join(tmp, 'calico-report.json');
    writeFileSync(report, podmortem(['analyze', ...CALICO, '-f', 'json']).stdout);
    const fromReport = podmortem(['fix', report, '--root', `${EX}/node`]);
    expect(fromReport.status).toBe(0);
    expect(fromReport.stdout).toBe(a.stdout);
  });

  it('applied to a copy of the snapshot (--apply --root), analyze no longer confirms kernel.pid_max', () => {
    const node = copyOfNode('applied');
    const before = podmortem([
      'analyze',
      `${EX}/calico-node.log`,
      `${EX}/pod.yaml`,
      '--node-root',
      node,
      '-f',
      'json',
    ]);
    expect(causeVerdict(JSON.parse(before.stdout) as Report, 'kernel.pid_max')).toBe('confirmed');
    const originalKubelet = readFileSync(join(node, 'var/lib/kubelet/config.yaml'), 'utf8');

    const r = podmortem([
      'fix',
      `${EX}/calico-node.log`,
      `${EX}/pod.yaml`,
      '--node-root',
      node,
      '--apply',
      '--root',
      node,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('applied: /etc/sysctl.d/90-pid-max.conf\n');
    expect(r.stdout).toContain('applied: /var/lib/kubelet/config.yaml\n');
    expect(r.stdout).toContain('applied: /proc/sys/kernel/pid_max\n');
    expect(r.stdout).toContain('to take effect (not run without --restart): systemctl restart kubelet');

    // sysctl -w, played by the /proc/sys file; the boot value in /etc/sysctl.d.
    expect(readFileSync(join(node, 'proc/sys/kernel/pid_max'), 'utf8')).toBe('4194304\n');
    expect(readFileSync(join(node, 'etc/sysctl.d/90-pid-max.conf'), 'utf8')).toMatch(
      /^kernel\.pid_max = 4194304$/m,
    );
    // The kubelet config: the new settings, the kubelet's default thresholds kept, every other key as it was.
    const kubelet = parse(readFileSync(join(node, 'var/lib/kubelet/config.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(kubelet['systemReserved']).toEqual({ pid: '1000' });
    expect(kubelet['evictionHard']).toEqual({
      'memory.available': '100Mi',
      'nodefs.available': '10%',
      'nodefs.inodesFree': '5%',
      'imagefs.available': '15%',
      'pid.available': '5%',
    });
    const { systemReserved: _s, evictionHard: _e, ...rest } = kubelet;
    expect(rest).toEqual(parse(originalKubelet));

    // Backups: the originals, byte for byte, and a manifest of what was created.
    const backups = join(node, 'var/backups/podmortem-fix');
    const [stamp] = readdirSync(backups);
    expect(readFileSync(join(backups, stamp!, 'var/lib/kubelet/config.yaml'), 'utf8')).toBe(originalKubelet);
    expect(readFileSync(join(backups, stamp!, 'proc/sys/kernel/pid_max'), 'utf8')).toBe('32768\n');
    const manifest = readFileSync(join(backups, stamp!, 'MANIFEST'), 'utf8');
    expect(manifest).toContain('created /etc/sysctl.d/90-pid-max.conf\n');
    expect(manifest).toContain('modified /var/lib/kubelet/config.yaml\n');

    const after = podmortem([
      'analyze',
      `${EX}/calico-node.log`,
      `${EX}/pod.yaml`,
      '--node-root',
      node,
      '-f',
      'json',
    ]);
    expect(after.status).toBe(0);
    const verdict = causeVerdict(JSON.parse(after.stdout) as Report, 'kernel.pid_max');
    expect(verdict).not.toBe('confirmed');
    expect(verdict).not.toBe('likely');

    // Run again on the fixed copy: nothing left to fix, exit 0, said on stderr.
    const again = podmortem([
      'fix',
      `${EX}/calico-node.log`,
      `${EX}/pod.yaml`,
      '--node-root',
      node,
      '--apply',
      '--root',
      node,
    ]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^podmortem: nothing to fix: /m);
  });

  it('with --node-root alone (the host at /host), applies there; --restart under it runs nothing', () => {
    const node = copyOfNode('restart');
    const r = podmortem([
      'fix',
      `${EX}/calico-node.log`,
      `${EX}/pod.yaml`,
      '--node-root',
      node,
      '--apply',
      '--restart',
    ]);
    expect(r.status).toBe(0);
    expect(readFileSync(join(node, 'proc/sys/kernel/pid_max'), 'utf8')).toBe('4194304\n');
    expect(r.stdout).toContain(`not run (--root ${node} is not this machine's /`);
    expect(r.stdout).toContain('systemctl restart kubelet');
    expect(r.stdout).not.toContain('running: systemctl');
  });

  it('never writes out of the root: a link in the copy that leads outside is not followed there', () => {
    const node = copyOfNode('linked');
    const outside = mkdtempSync(join(tmp, 'outside-'));
    rmSync(join(node, 'etc/sysctl.d'), { recursive: true });
    symlinkSync(outside, join(node, 'etc/sysctl.d')); // absolute: re-rooted under the copy, where it is missing
    const backups = join(tmp, 'linked-backups');
    const r = podmortem(['fix', ...CALICO, '--apply', '--root', node, '--backup-dir', backups]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('not planned: kernel.pid_max: /etc/sysctl.d/90-pid-max.conf: a symbolic link');
    expect(readdirSync(outside)).toEqual([]);
    // The rest is applied, with its backups where --backup-dir says.
    expect(readFileSync(join(node, 'proc/sys/kernel/pid_max'), 'utf8')).toBe('4194304\n');
    expect(readFileSync(join(backups, 'proc/sys/kernel/pid_max'), 'utf8')).toBe('32768\n');
    expect(existsSync(join(node, 'var/backups'))).toBe(false);
  });

  it('-f json lists the changes and the commands for a script', () => {
    const node = copyOfNode('json');
    const report = join(tmp, 'json-report.json');
    writeFileSync(report, podmortem(['analyze', ...CALICO, '-f', 'json']).stdout);
    const json = join(tmp, 'raced-plan.json');
    writeFileSync(json, podmortem(['fix', report, '--root', node, '-f', 'json']).stdout);
    // The plan lists the changes a script can read.
    const plan = JSON.parse(readFileSync(json, 'utf8')) as {
      changes: { kind: string; path: string; action: string }[];
      commands: string[];
    };
    expect(plan.changes.map((c) => [c.kind, c.path, c.action])).toEqual([
      ['sysctl-live', '/proc/sys/kernel/pid_max', 'set'],
      ['sysctl-file', '/etc/sysctl.d/90-pid-max.conf', 'create'],
      ['kubelet-config', '/var/lib/kubelet/config.yaml', 'modify'],
    ]);
    expect(plan.commands).toEqual(['sysctl -w kernel.pid_max=4194304', 'systemctl restart kubelet']);
  });
});

describe('podmortem fix --out DIR', () => {
  it('writes the files under their host paths and commands.sh, and never overwrites without --force', () => {
    const out = join(tmp, 'out');
    const r = podmortem(['fix', ...CALICO, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(out, 'etc/sysctl.d/90-pid-max.conf'), 'utf8')).toContain(
      'kernel.pid_max = 4194304\n',
    );
    const kubelet = parse(readFileSync(join(out, 'var/lib/kubelet/config.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(kubelet['systemReserved']).toEqual({ pid: '1000' });
    expect(readFileSync(join(out, 'commands.sh'), 'utf8')).toContain(
      '\nsysctl -w kernel.pid_max=4194304\nsystemctl restart kubelet\n',
    );
    expect(existsSync(join(out, 'proc'))).toBe(false);

    writeFileSync(join(out, 'etc/sysctl.d/90-pid-max.conf'), 'kept\n');
    const refused = podmortem(['fix', ...CALICO, '--out', out]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`${join(out, 'etc/sysctl.d/90-pid-max.conf')}`);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(out, 'etc/sysctl.d/90-pid-max.conf'), 'utf8')).toBe('kept\n');

    const forced = podmortem(['fix', ...CALICO, '--out', out, '--force']);
    expect(forced.status).toBe(0);
    expect(readFileSync(join(out, 'etc/sysctl.d/90-pid-max.conf'), 'utf8')).toContain(
      'kernel.pid_max = 4194304\n',
    );
  });
});

describe('podmortem fix on a memory report', () => {
  it('patches the Deployment that owns the OOMKilled pod: a kustomize patch and a kubectl patch', () => {
    const report = join(tmp, 'oom.json');
    const analyzed = podmortem(['analyze', `${OOM}/describe.txt`, `${OOM}/pod.yaml`, '-f', 'json']);
    expect((JSON.parse(analyzed.stdout) as Report).incidents[0]!.causes[0]).toMatchObject({
      id: 'memory.cgroup',
      verdict: 'confirmed',
    });
    writeFileSync(report, analyzed.stdout);
    const r = podmortem(['fix', report, `${OOM}/pod.yaml`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('+++ b/kustomize/deployment-shop-checkout.yaml\n');
    expect(r.stdout).toContain(
      `kubectl -n shop patch deployment checkout --type strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"checkout","resources":{"limits":{"memory":"1152Mi"},"requests":{"memory":"1152Mi"}}}]}}}}'`,
    );
    const out = join(tmp, 'oom-out');
    expect(podmortem(['fix', report, `${OOM}/pod.yaml`, '--out', out]).status).toBe(0);
    const patch = parse(
      readFileSync(join(out, 'kustomize/deployment-shop-checkout.yaml'), 'utf8'),
    ) as unknown;
    expect(patch).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'checkout',
                resources: { limits: { memory: '1152Mi' }, requests: { memory: '1152Mi' } },
              },
            ],
          },
        },
      },
    });
  });

  it('--apply on a node has nothing to write for it: says so, names the kubectl patch, exits 0', () => {
    const node = copyOfNode('oom-node');
    const report = join(tmp, 'oom.json');
    const r = podmortem(['fix', report, `${OOM}/pod.yaml`, '--apply', '--root', node]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      "nothing to apply on the node; the fix is the workload's: kubectl -n shop patch deployment checkout",
    );
    expect(existsSync(join(node, 'var/backups'))).toBe(false);
  });

  it('without the pod spec, says what to give and exits 0', () => {
    const report = join(tmp, 'oom-alone.json');
    writeFileSync(report, podmortem(['analyze', `${OOM}/describe.txt`, '-f', 'json']).stdout);
    const r = podmortem(['fix', report]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('the pod spec was not given');
    expect(r.stderr).toContain('kubectl get pod POD -o yaml');
  });
});

describe('podmortem fix: exits and refusals', () => {
  it("is the contract's fix command, listed by podmortem --help", () => {
    expect(readFileSync(join(import.meta.dirname, '../../../shared/CONTRACT.md'), 'utf8')).toContain(
      '| `podmortem fix` |',
    );
    expect(podmortem(['--help']).stdout).toMatch(/^ {2}fix \[options\] \[INPUT\.\.\.\] /m);
    expect(podmortem(['fix', '--help']).stdout).toMatch(/^ {2}podmortem fix report\.json --apply --root /m);
  });

  it('exits 0 when the report has no confirmed or likely cause, and says so', () => {
    const r = podmortem(['fix', `${EX}/calico-node.log`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^podmortem: nothing to fix: the report has no confirmed or likely cause/m);
  });

  it.each([
    [['--node-root', '/nonexistent-podmortem'], '--node-root /nonexistent-podmortem'],
    [['--root', '/nonexistent-podmortem'], '--root /nonexistent-podmortem'],
    [['--out', '/nonexistent-podmortem/out'], '--out /nonexistent-podmortem/out'],
    [['--apply', '--out', '/tmp/x'], '--apply and --out'],
    [['--restart'], '--restart only applies with --apply'],
    [['--force'], '--force only applies to --out'],
    [['-f', 'patch'], "option '-f, --format <format>' argument 'patch' is invalid"],
  ])('%j: one line, exit 1', (flags, said) => {
    const r = podmortem(['fix', `${EX}/calico-node.log`, ...flags]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(said);
  });

  it('refuses an input it cannot read, or a report of the wrong shape, and plans nothing', () => {
    const missing = podmortem(['fix', '/nonexistent-podmortem.json']);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('/nonexistent-podmortem.json');
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ schemaVersion: 1, incidents: [{ subject: 'x' }] }));
    const wrong = podmortem(['fix', bad]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`${bad}: not a podmortem JSON report (incidents.0.subject`);
  });

  it('reads a report piped on standard input', () => {
    const json = podmortem(['analyze', ...CALICO, '-f', 'json']).stdout;
    const r = podmortem(['fix', '-', '--root', `${EX}/node`], { input: json });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(podmortem(['fix', ...CALICO]).stdout);
  });
});

describeNeeding('podmortem fix: the diff with GNU patch', ['patch'], () => {
  it('is a patch that patch(1) applies to a copy of the node', () => {
    const node = copyOfNode('patched');
    const diff = join(tmp, 'calico.patch');
    writeFileSync(diff, podmortem(['fix', ...CALICO]).stdout);
    const r = spawnSync('patch', ['-p1', '-d', node, '-i', diff], { encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(node, 'etc/sysctl.d/90-pid-max.conf'), 'utf8')).toContain(
      'kernel.pid_max = 4194304\n',
    );
  });
});

describeNeeding('podmortem fix --apply as a user', ['root', 'setpriv'], () => {
  it('--apply on / is refused to a user who is not root, before anything is read', () => {
    // Run as nobody; a report with nothing to fix, so even a failed privilege drop writes nothing.
    const r = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        'dist/cli/main.js',
        'fix',
        `${EX}/calico-node.log`,
        '--apply',
      ],
      { encoding: 'utf8', input: '' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--apply writes this node's /etc and /proc/sys: run it as root");
  });
});
