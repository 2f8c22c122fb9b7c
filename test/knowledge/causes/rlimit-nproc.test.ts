// rlimit.nproc: the UID decides first (INIT_USER and capability exemptions), then the node-wide
// per-UID arithmetic. Crash lines: the calico-node seed (shared/seed/calico-node-restart.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PamLimitLine } from '../../../src/evidence/types.js';
import { assess, fact, hasSourcedEvidence, node, said, SEED_LOG, usage } from './helpers.js';

const uid = (n: number) => fact(n, '--uid', `the process ran as real UID ${n}`);
const limit = (n: number | null) =>
  fact(n, '/proc/4242/limits', `Max processes ${n ?? 'unlimited'} ${n ?? 'unlimited'} processes`, 9);
const tasks = (n: number) =>
  usage('node', n, '/proc/*/status', `${n} tasks (threads included) with real UID 1000`);

describe('rlimit.nproc', () => {
  const cases = [
    {
      name: 'real UID 0 outside a user namespace is exempt (INIT_USER)',
      process: { realUid: uid(0) },
      verdict: 'ruled-out',
      words: [/UID 0/, /INIT_USER/],
    },
    {
      name: 'a privileged container holds CAP_SYS_ADMIN in the initial namespace',
      process: {
        realUid: uid(1000),
        privileged: fact(true, 'pod.yaml (securityContext.privileged)', 'privileged: true'),
      },
      verdict: 'ruled-out',
      words: [/CAP_SYS_ADMIN/],
    },
    {
      name: 'CAP_SYS_RESOURCE added exempts the task',
      process: {
        realUid: uid(1000),
        capabilities: fact(['SYS_RESOURCE'], 'pod.yaml (capabilities.add)', 'SYS_RESOURCE'),
      },
      verdict: 'ruled-out',
      words: [/CAP_SYS_RESOURCE/],
    },
    {
      name: 'root inside a user namespace is a non-zero host UID: the limit applies',
      process: {
        realUid: uid(0),
        userNamespace: fact(true, 'pod.yaml (spec.hostUsers)', 'hostUsers: false'),
      },
      verdict: 'possible',
      words: [/user namespace/],
    },
    {
      name: 'the UID holds as many tasks as its limit: confirmed by arithmetic',
      process: { realUid: uid(1000), nprocLimit: limit(4096), uidTasks: tasks(4096) },
      verdict: 'confirmed',
      words: [/4096\/4096/],
    },
    {
      name: 'tasks left plus the crashed process threads add up to the limit',
      process: { realUid: uid(1000), nprocLimit: limit(4096), uidTasks: tasks(4060) },
      verdict: 'confirmed',
      words: [/4060 \+ 41 = 4101 ≥ 4096/],
    },
    {
      name: 'far from the limit',
      process: { realUid: uid(1000), nprocLimit: limit(4096), uidTasks: tasks(300) },
      verdict: 'unlikely',
      words: [/300 \+ 41 = 341 of 4096/],
    },
    {
      name: 'an unlimited RLIMIT_NPROC cannot be reached',
      process: { realUid: uid(1000), nprocLimit: limit(null) },
      verdict: 'ruled-out',
      words: [/unlimited/],
    },
    {
      name: 'unknown UID: possible, and says that root would be exempt',
      process: {},
      verdict: 'possible',
      words: [/root/, /node-wide/],
    },
  ] as const;

  for (const c of cases) {
    it(c.name, () => {
      const a = assess('rlimit.nproc', { lines: SEED_LOG, process: c.process });
      expect(a.verdict).toBe(c.verdict);
      for (const w of c.words) expect(said(a)).toMatch(w);
      expect(hasSourcedEvidence(a)).toBe(true);
      expect(a.evidence[0]).toMatchObject({ source: 'crash.log', line: 1 });
      if (a.verdict === 'possible') expect(a.missing.length).toBeGreaterThan(0);
      if (a.verdict !== 'ruled-out')
        expect(a.remediation.map((r) => r.summary).join(' ')).toMatch(/Running containers keep the limits/);
      // The Go hint names ulimit -u for any EAGAIN: never proof.
      expect(said(a)).toMatch(/prints it after any EAGAIN/);
    });
  }

  it('says that limits.conf / limits.d lines do not reach containers', () => {
    const pam: PamLimitLine[] = [
      {
        domain: '*',
        type: 'soft',
        item: 'nproc',
        value: '4096',
        evidence: {
          source: '/etc/security/limits.d/20-nproc.conf',
          line: 5,
          text: '*          soft    nproc     4096',
        },
      },
    ];
    const a = assess('rlimit.nproc', {
      lines: SEED_LOG,
      process: { realUid: uid(1000) },
      node: node({ pamLimits: pam }),
    });
    expect(said(a)).toMatch(/20-nproc\.conf set nproc for PAM login sessions only/);
    expect(a.evidence).toContainEqual(pam[0]!.evidence);
  });

  it('uses the per-UID count and lowest soft limit the host reader put in node.limits', () => {
    const n = node({
      limits: [
        {
          id: 'rlimit.nproc',
          scope: 'uid:1000',
          used: 4090,
          max: 4096,
          ratio: 0.999,
          evidence: [
            {
              source: '/proc/*/status',
              text: '4090 tasks (threads included) in 12 processes with real UID 1000',
            },
            { source: '/proc/811/limits', text: 'Max processes 4096 (soft, java)' },
          ],
        },
      ],
    });
    const a = assess('rlimit.nproc', { lines: SEED_LOG, process: { realUid: uid(1000) }, node: n });
    expect(a.verdict).toBe('confirmed');
    expect(a.evidence.map((e) => e.source)).toContain('/proc/811/limits');
  });

  it('UID unknown, but no UID of the node is near its limit (host reader counts): unlikely', () => {
    const entry = (uid: number, used: number, max: number | null) => ({
      id: 'rlimit.nproc',
      scope: `uid:${uid}`,
      used,
      max,
      ratio: max ? used / max : null,
      evidence: [{ source: '/proc/*/status', text: `${used} tasks (threads included) with real UID ${uid}` }],
    });
    const n = node({ limits: [entry(0, 1800, null), entry(1000, 120, 4096), entry(65534, 3, 4096)] });
    const a = assess('rlimit.nproc', { lines: SEED_LOG, node: n });
    expect(a.verdict).toBe('unlikely');
    expect(said(a)).toMatch(
      /UID 1000: 120 tasks \(\+ 41 of the crashed process\) against its RLIMIT_NPROC 4096/,
    );
    const near = node({ limits: [entry(1000, 4080, 4096)] });
    expect(assess('rlimit.nproc', { lines: SEED_LOG, node: near }).verdict).toBe('possible');
  });

  it('this test process, read from the real /proc, runs as real UID 0 and is exempt', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const realUid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const row = /^Max processes\s+(\S+)/m.exec(limits)![1]!;
    // An identity map of the whole UID range means the initial user namespace.
    const uidMap = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ');
    const inUserNs = uidMap !== '0 0 4294967295';
    const a = assess('rlimit.nproc', {
      lines: SEED_LOG,
      process: {
        realUid: fact(realUid, '/proc/self/status', `Uid: ${realUid}`),
        nprocLimit: fact(
          row === 'unlimited' ? null : Number(row),
          '/proc/self/limits',
          `Max processes ${row}`,
        ),
        userNamespace: fact(inUserNs, '/proc/self/uid_map', uidMap),
      },
    });
    if (realUid === 0 && !inUserNs) expect(a.verdict).toBe('ruled-out');
    else expect(a.reasons.join(' ')).not.toMatch(/INIT_USER/);
  });
});
