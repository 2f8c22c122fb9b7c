// kernel.pid_max and kernel.threads-max: node-wide task counts against /proc/sys/kernel values.
// CentOS 7 keeps pid_max 32768; threads-max is sized from RAM. Every task needs a PID, so a node whose
// pid_max is below threads-max can never reach threads-max (arithmetic, not a guess).
import { describe, expect, it } from 'vitest';
import { assess, fact, node, procNumber, said, SEED_LOG } from './helpers.js';

const loadavg = (tasks: number) => fact(tasks, '/proc/loadavg', `12.31 11.87 11.02 9/${tasks} 28411`, 1);
const pidMax = (n: number) => fact(n, '/proc/sys/kernel/pid_max', String(n), 1);

describe('kernel.pid_max', () => {
  // The verdict cases live in src/knowledge/causes/kernel.pid_max/cases.ts.
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
});

describe('kernel.threads-max', () => {
  // The verdict cases live in src/knowledge/causes/kernel.threads-max/cases.ts.
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
