// `podmortem node --root SNAPSHOT` reads a snapshot that anyone may have shaped: a cgroup file, a
// /proc/<pid> file or a pod log folder that is a symlink to the analyst's own files must not be
// followed out of the snapshot, and nothing outside it may reach the report (issue: a symlinked
// pids.events once copied /etc/shadow into the JSON report).
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { ensureBuilt, podmortem } from '../cli/helpers.js';
import { writeTree } from '../sources/host/tree.js';

ensureBuilt();

const SECRET = 'root:$6$do-not-leak-this-hash$:19000:0:99999:7:::';
const outside = writeTree({
  shadow: SECRET + '\n',
  'pods/evil_pod_11111111-2222-3333-4444-555555555555/app/0.log': `2026-11-29T03:14:15.000000000Z stderr F ${SECRET}\nfatal error: newosproc\n`,
});
const UID = '0f5b2c7e-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
const POD = `sys/fs/cgroup/pids/kubepods/burstable/pod${UID}`;
const snap = writeTree({
  'etc/hostname': 'node-hostile\n',
  'proc/sys/kernel/pid_max': '32768\n',
  'proc/loadavg': '0.1 0.1 0.1 1/300 999\n',
  [`${POD}/pids.max`]: '64\n',
  [`${POD}/pids.current`]: { link: '../../../../../../../../../../etc/shadow' },
  [`${POD}/pids.events`]: { link: `${outside.root}/shadow` },
  'proc/77/status': { link: `${outside.root}/shadow` },
  'proc/77/limits': { link: '/etc/shadow' },
  'var/log/pods/evil_pod_11111111-2222-3333-4444-555555555555': {
    link: `${outside.root}/pods/evil_pod_11111111-2222-3333-4444-555555555555`,
  },
  [`var/log/pods/shop_web_${UID}/app/1.log`]:
    '2026-11-29T03:14:15.000000000Z stderr F fatal error: newosproc\n',
});
afterAll(() => {
  snap.cleanup();
  outside.cleanup();
});

describe('a hostile snapshot under node --root', () => {
  const r = podmortem(['node', '--root', snap.root, '--format', 'json']);
  const report = JSON.parse(r.stdout) as Report;

  it('runs to its report, exit 0, no stack trace', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(report.incidents.map((i) => i.subject.pod)).toEqual(['web']);
  });

  it('copies nothing from outside the snapshot into the report', () => {
    // (The link's own text may be quoted in a warning; what it points at is never read.)
    expect(r.stdout).not.toContain('do-not-leak-this-hash');
  });

  it('says what it did not follow, one sentence each', () => {
    const w = report.warnings.join('\n');
    expect(w).toContain(
      `${POD.replace('sys/fs', '/sys/fs')}/pids.current: a symbolic link climbs above the node root`,
    );
    expect(w).toMatch(/pids\.events: a symbolic link to \/.* leads to nothing inside the node root/);
  });

  it('never enters the symlinked pod log folder', () => {
    expect(report.incidents.some((i) => i.subject.pod === 'pod')).toBe(false);
  });
});
