// kernel.pid_max and kernel.threads-max: node-wide task counts against /proc/sys/kernel values.
// CentOS 7 keeps pid_max 32768; threads-max is sized from RAM. Every task needs a PID, so a node whose
// pid_max is below threads-max can never reach threads-max (arithmetic, not a guess).
import { describe, expect, it } from 'vitest';
import {
  assess,
  diagnoseCase,
  fact,
  hasSourcedEvidence,
  node,
  pidsLevel,
  procNumber,
  said,
  SEED_LOG,
} from './helpers.js';

const loadavg = (tasks: number) => fact(tasks, '/proc/loadavg', `12.31 11.87 11.02 9/${tasks} 28411`, 1);
const pidMax = (n: number) => fact(n, '/proc/sys/kernel/pid_max', String(n), 1);
const threadsMax = (n: number) => fact(n, '/proc/sys/kernel/threads-max', String(n), 1);

describe('kernel.pid_max', () => {
  const cases = [
    { name: 'no node evidence', node: undefined, verdict: 'possible', words: [/no node evidence/] },
    {
      name: 'CentOS 7: 32760 tasks of 32768',
      node: node({ pidMax: pidMax(32768), tasks: loadavg(32760), threadsMax: threadsMax(514875) }),
      verdict: 'confirmed',
      words: [/32760 tasks of at most 32767 PIDs \(8 free\)/],
    },
    {
      name: '1200 tasks of 32768',
      node: node({ pidMax: pidMax(32768), tasks: loadavg(1200) }),
      verdict: 'unlikely',
      words: [/1200 of 32768 PIDs/],
    },
    {
      name: 'pid_max 4194304 (systemd >= 243) with no task count',
      node: node({ pidMax: pidMax(4194304) }),
      verdict: 'unlikely',
      words: [/largest value/],
    },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      const a = assess('kernel.pid_max', { lines: SEED_LOG, ...(c.node ? { node: c.node } : {}) });
      expect(a.verdict).toBe(c.verdict);
      for (const w of c.words) expect(said(a)).toMatch(w);
      expect(hasSourcedEvidence(a)).toBe(true);
      if (c.verdict === 'possible') expect(a.missing.join(' ')).toMatch(/pid_max/);
    });
  }

  it("remediation: a sysctl reaches running containers at once, except a 6.14+ pid namespace's own copy", () => {
    const old = assess('kernel.pid_max', {
      lines: SEED_LOG,
      node: node({
        pidMax: pidMax(32768),
        tasks: loadavg(32760),
        kernelRelease: fact('3.10.0-1160.59.1.el7.x86_64', '/proc/sys/kernel/osrelease'),
      }),
    });
    const fix = old.remediation.map((r) => r.summary).join(' ');
    expect(fix).toMatch(/CentOS\/RHEL 7 keeps the kernel default 32768/);
    expect(fix).toMatch(/without being recreated/);
    expect(fix).not.toMatch(/6\.14/);
    const recent = assess('kernel.pid_max', {
      lines: SEED_LOG,
      node: node({
        pidMax: pidMax(32768),
        tasks: loadavg(32760),
        kernelRelease: fact('6.18.44', '/proc/sys/kernel/osrelease'),
      }),
    });
    expect(recent.remediation.map((r) => r.summary).join(' ')).toMatch(
      /From kernel 6\.14 each pid namespace has its own pid_max/,
    );
  });

  it('confirmed PID exhaustion ranks first, above another confirmed limit', () => {
    const n = node({
      pidMax: pidMax(32768),
      tasks: loadavg(32760),
      cgroupChains: [pidsLevel('container', '/kubepods/podx/c1', { max: 4096, current: 12, events: 2 })],
    });
    const ranked = diagnoseCase({ lines: SEED_LOG, node: n });
    expect(ranked.map((c) => [c.id, c.verdict]).slice(0, 2)).toEqual([
      ['kernel.pid_max', 'confirmed'],
      ['cgroup.pids', 'confirmed'],
    ]);
  });
});

describe('kernel.threads-max', () => {
  const cases = [
    { name: 'log only: possible', node: undefined, verdict: 'possible', words: [/node-wide/] },
    {
      name: 'pid_max 32768 below threads-max 514875: the node cannot hold threads-max tasks',
      node: node({ pidMax: pidMax(32768), threadsMax: threadsMax(514875), tasks: loadavg(32760) }),
      verdict: 'ruled-out',
      words: [/pid_max - 1 = 32767 PIDs/, /can never hold 514875 tasks/],
    },
    {
      name: 'small node: 15390 tasks of threads-max 15407 with pid_max 4194304',
      node: node({ pidMax: pidMax(4194304), threadsMax: threadsMax(15407), tasks: loadavg(15390) }),
      verdict: 'confirmed',
      words: [/15390\/15407/, /root included/],
    },
    {
      name: 'plenty of headroom',
      node: node({ pidMax: pidMax(4194304), threadsMax: threadsMax(127563), tasks: loadavg(2100) }),
      verdict: 'unlikely',
      words: [/125463 tasks of headroom/],
    },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      const a = assess('kernel.threads-max', { lines: SEED_LOG, ...(c.node ? { node: c.node } : {}) });
      expect(a.verdict).toBe(c.verdict);
      for (const w of c.words) expect(said(a)).toMatch(w);
      expect(hasSourcedEvidence(a)).toBe(true);
      if (c.verdict === 'possible') expect(a.missing.length).toBeGreaterThan(0);
    });
  }

  it('on this machine, the real /proc values decide by the same arithmetic', () => {
    const pm = procNumber('/proc/sys/kernel/pid_max');
    const tm = procNumber('/proc/sys/kernel/threads-max');
    const tasks = procNumber('/proc/loadavg', (t) => t.split(/\s+/)[3]!.split('/')[1]!);
    const a = assess('kernel.threads-max', {
      lines: SEED_LOG,
      node: node({ pidMax: pm, threadsMax: tm, tasks }),
    });
    if (pm.value - 1 < tm.value) {
      expect(a.verdict).toBe('ruled-out');
      expect(said(a)).toContain(`pid_max - 1 = ${pm.value - 1} PIDs`);
    } else {
      expect(a.verdict).not.toBe('ruled-out');
    }
    expect(a.evidence.map((e) => e.source)).toContain('/proc/sys/kernel/threads-max');
  });
});
