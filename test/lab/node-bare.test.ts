// The lab without Docker: the same crash on bare cgroups. First for real on this machine's cgroup v1,
// in the kubelet's *systemd*-driver layout (kubepods.slice/kubepods-burstable.slice/
// kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope, CRI log lines as containerd writes
// them), then on captured folders laid out as cgroup v2 nodes (systemd and cgroupfs drivers) read as
// snapshots under --root, where there is no live /proc. Also: symlinks in the log folder never lead
// the reader out of --root, and nothing under --root is written.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectValidReport } from '../schema/report-check.js';
import { describeNeeding } from '../prerequisites.js';
import { builtCli, Cgroups, crashlab, startIn, until } from './harness/index.js';

interface Report {
  incidents: {
    subject: { podUid?: string; pod?: string; restartCount?: number; exitCode?: number };
    signatures: { id: string }[];
    causes: {
      id: string;
      verdict: string;
      reasons: string[];
      evidence: { source: string; text: string }[];
    }[];
  }[];
  node: { limits: { id: string; scope: string; used: number | null; max: number | null }[] };
  warnings: string[];
}

let cli: string;

function node(args: string[]): { status: number | null; report: Report; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'node', ...args, '--format', 'json'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  if (r.status === 0) expectValidReport(r.stdout);
  return { status: r.status, report: JSON.parse(r.stdout || '{}') as Report, stderr: r.stderr };
}

/** CRI log line as containerd writes it: "<RFC3339Nano> <stream> F <message>". */
function cri(stream: string, line: string): string {
  return `${new Date().toISOString().replace('Z', '000000Z')} ${stream} F ${line}\n`;
}

/** Runs a command inside a cgroup (it joins it before exec) and writes its output as a CRI log. */
function runInCgroup(cgroupDir: string, argv: string[], logFile: string): Promise<number | null> {
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');
  return new Promise((res) => {
    const child = startIn([cgroupDir], argv);
    child.stdin?.end();
    const pump = (stream: 'stdout' | 'stderr') => {
      let carry = '';
      child[stream]!.on('data', (c: Buffer) => {
        const text = carry + c.toString('utf8');
        const lines = text.split('\n');
        carry = lines.pop() ?? '';
        for (const l of lines) writeFileSync(logFile, cri(stream, l), { flag: 'a' });
      });
    };
    pump('stdout');
    pump('stderr');
    child.on('exit', (code) => res(code));
    running.push(child);
  });
}
const running: ChildProcess[] = [];

/** A fingerprint of a tree: every path with its type, size, mode and mtime (to prove nothing was written). */
function fingerprint(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      h.update(`${p}\0${st.mode}\0${st.size}\0${st.mtimeMs}\n`);
      if (st.isSymbolicLink()) h.update(readlinkSync(p));
      else if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

describeNeeding(
  'bare cgroup v1, systemd-driver layout, real limit reached without Docker',
  ['linux', 'root', 'cgroup-v1-pids', 'go'],
  () => {
    const uid = randomUUID();
    const slice = `kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice`;
    const podRel = `/kubepods.slice/kubepods-burstable.slice/${slice}`;
    const first = randomBytes(32).toString('hex');
    const second = randomBytes(32).toString('hex');
    const cgroups = new Cgroups();
    let logDir = '';
    let report: Report;
    let status: number | null;
    let stderr: string;

    beforeAll(async () => {
      cli = builtCli();
      const program = await crashlab();
      cgroups.make('pids', podRel, { 'pids.max': 30 }); // podPidsLimit: 30, as the kubelet writes it
      const firstDir = cgroups.make('pids', `${podRel}/cri-containerd-${first}.scope`);
      const secondDir = cgroups.make('pids', `${podRel}/cri-containerd-${second}.scope`);
      logDir = mkdtempSync(join(tmpdir(), 'podmortem-bare-pods-'));
      const cdir = join(logDir, `kube-system_calico-node-bare_${uid}`, 'calico-node');
      const code = await runInCgroup(firstDir, [program, 'threads'], join(cdir, '0.log'));
      expect(code).toBe(2);
      void runInCgroup(secondDir, [program, 'hold', '3'], join(cdir, '1.log'));
      await until(
        () => (readFileSync(join(cdir, '1.log'), 'utf8').includes('holding 3') ? true : undefined),
        100,
      );
      // A socket file nobody listens on (dockerd stopped): a missing --docker-socket is exit 1.
      spawnSync(process.execPath, [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(join(logDir, 'no-docker.sock'))}, () => process.exit(0))`,
      ]);
      ({ report, status, stderr } = node([
        '--root',
        '/',
        '--log-dir',
        logDir,
        '--docker-socket',
        join(logDir, 'no-docker.sock'),
      ]));
    }, 300_000);

    afterAll(async () => {
      for (const c of running) c.kill('SIGKILL');
      await cgroups.remove();
      if (logDir) rmSync(logDir, { recursive: true, force: true });
    });

    it('finds the crash in the CRI log, confirms the pod pids limit and rules out RLIMIT_NPROC for root', () => {
      expect(status, stderr).toBe(0);
      const inc = report.incidents.find((i) => i.subject.podUid === uid);
      expect(inc, JSON.stringify(report.warnings)).toBeDefined();
      expect(inc!.subject.restartCount).toBe(1);
      expect(inc!.signatures.map((s) => s.id)).toContain('go.newosproc');
      expect(inc!.causes[0]!.id).toBe('cgroup.pids');
      expect(inc!.causes[0]!.verdict).toBe('confirmed');
      expect(inc!.causes[0]!.evidence.map((e) => `${e.source} ${e.text}`).join('\n')).toContain(slice);
      expect(inc!.causes.find((c) => c.id === 'rlimit.nproc')?.verdict).toBe('ruled-out');
    });

    it('says what it could not read (no runtime socket) and carries on', () => {
      expect(report.warnings.join('\n')).toMatch(/no-docker\.sock: Docker is not listening/);
    });
  },
);

/** A captured node laid out as cgroup v2 (unified), with the kubelet's systemd or cgroupfs driver. */
function v2Snapshot(driver: 'systemd' | 'cgroupfs'): { root: string; uid: string; podPath: string } {
  const root = mkdtempSync(join(tmpdir(), `podmortem-v2-${driver}-`));
  const uid = randomUUID();
  const id = randomBytes(32).toString('hex');
  const podPath =
    driver === 'systemd'
      ? `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice`
      : `/kubepods/burstable/pod${uid}`;
  const scope = driver === 'systemd' ? `${podPath}/cri-containerd-${id}.scope` : `${podPath}/${id}`;
  const w = (p: string, text: string) => {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  };
  w('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory hugetlb pids rdma misc\n');
  // v2 on ≥ 6.11: the pod's limit was hit, so the pod counts it in pids.events (and .local); the container's stays 0.
  w(`/sys/fs/cgroup${podPath}/pids.max`, '50\n');
  w(`/sys/fs/cgroup${podPath}/pids.current`, '7\n');
  w(`/sys/fs/cgroup${podPath}/pids.peak`, '50\n');
  w(`/sys/fs/cgroup${podPath}/pids.events`, 'max 3\n');
  w(`/sys/fs/cgroup${podPath}/pids.events.local`, 'max 3\n');
  w(`/sys/fs/cgroup${scope}/pids.max`, 'max\n');
  w(`/sys/fs/cgroup${scope}/pids.current`, '7\n');
  w(`/sys/fs/cgroup${scope}/pids.events`, 'max 0\n');
  w('/proc/sys/kernel/pid_max', '4194304\n');
  w('/proc/sys/kernel/threads-max', '192730\n');
  w('/proc/loadavg', '0.10 0.20 0.30 2/412 9999\n');
  w('/etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n');
  // The kernel line as this lab's v1 run printed it, with the v2 path of this layout.
  w('/var/log/dmesg', `[  534.194646] cgroup: fork rejected by pids controller in ${scope}\n`);
  w(
    `/var/log/pods/kube-system_calico-node-v2_${uid}/calico-node/0.log`,
    [
      cri('stderr', 'runtime: failed to create new OS thread (have 43 already; errno=11)'),
      cri('stderr', 'runtime: may need to increase max user processes (ulimit -u)'),
      cri('stderr', 'fatal error: newosproc'),
    ].join(''),
  );
  w(`/var/log/pods/kube-system_calico-node-v2_${uid}/calico-node/1.log`, cri('stdout', 'started'));
  // Links that try to leave the root: an absolute one (re-rooted, so it finds nothing) and a climbing one.
  mkdirSync(join(root, `/var/log/pods/kube-system_escape_${randomUUID()}/app`), { recursive: true });
  const esc = readdirSync(join(root, '/var/log/pods')).find((d) => d.startsWith('kube-system_escape_'))!;
  symlinkSync('/etc/shadow', join(root, `/var/log/pods/${esc}/app/0.log`));
  symlinkSync('../../../../../../../../etc/passwd', join(root, `/var/log/pods/${esc}/app/1.log`));
  return { root, uid, podPath };
}

describe('captured cgroup v2 layouts (snapshots under --root)', () => {
  const snaps: ReturnType<typeof v2Snapshot>[] = [];
  beforeAll(() => {
    cli ??= builtCli();
  });
  afterAll(() => {
    for (const s of snaps) rmSync(s.root, { recursive: true, force: true });
  });

  for (const driver of ['systemd', 'cgroupfs'] as const) {
    it(`${driver} driver: the pod's pids.events on v2 confirms cgroup.pids; nothing under the root is written or escaped`, () => {
      const snap = v2Snapshot(driver);
      snaps.push(snap);
      const before = fingerprint(snap.root);
      const { status, report, stderr } = node(['--root', snap.root]);
      expect(status, stderr).toBe(0);
      expect(fingerprint(snap.root)).toBe(before);
      const inc = report.incidents.find((i) => i.subject.podUid === snap.uid);
      expect(inc, JSON.stringify(report.warnings)).toBeDefined();
      expect(inc!.causes[0]!.id).toBe('cgroup.pids');
      expect(inc!.causes[0]!.verdict).toBe('confirmed');
      expect(inc!.causes[0]!.evidence.map((e) => `${e.source} ${e.text}`).join('\n')).toContain(snap.podPath);
      const warnings = report.warnings.join('\n');
      expect(warnings).toMatch(/not a live process table/);
      expect(warnings).toMatch(/1\.log -> \.\.\/.*leads out of the log folder|climbs above the node root/);
      expect(warnings).not.toMatch(/root:x:0:0/);
      expect(report.incidents.some((i) => i.subject.pod === 'escape')).toBe(false);
    });
  }
});
