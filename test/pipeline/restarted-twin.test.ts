// Evidence knows whose it is. A Python worker died with EMFILE from open() under nofile=64; when
// podmortem looks, the restarted instance has the same limit and holds 3 descriptors. Its usage says
// nothing about what the crashed instance held: rlimit.nofile must still come out first, confirmed or
// likely, and the report must say whose the 3 descriptors are. The node is a snapshot with a process
// table (/proc/<pid> folders), read through the same node pipeline as a live node.
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { ensureBuilt, podmortem } from '../cli/helpers.js';
import { writeTree } from '../sources/host/tree.js';

ensureBuilt();

const UID = '6a1f0c2e-5b3d-4e7f-9a8b-0c1d2e3f4a5b';
const CID = 'c'.repeat(64);
const CGROUP = `/kubepods/burstable/pod${UID}/${CID}`;
const LIMITS = [
  'Limit                     Soft Limit           Hard Limit           Units     ',
  'Max processes             unlimited            unlimited            processes ',
  'Max open files            64                   64                   files     ',
].join('\n');

const snap = writeTree({
  'etc/hostname': 'node-py\n',
  'proc/sys/kernel/pid_max': '4194304\n',
  'proc/sys/fs/file-max': '9223372036854775807\n',
  'proc/sys/fs/file-nr': '1536 0 9223372036854775807\n',
  'proc/sys/fs/inotify/max_user_instances': '128\n',
  'proc/loadavg': '0.1 0.1 0.1 1/300 999\n',
  // The restarted instance: same limits, 3 descriptors a second after its start.
  'proc/4321/status':
    'Name:\tpython3\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\nThreads:\t1\nCapEff:\t0000000000000000\n',
  'proc/4321/limits': LIMITS + '\n',
  'proc/4321/cgroup': `12:pids:${CGROUP}\n11:memory:${CGROUP}\n`,
  'proc/4321/uid_map': '         0          0 4294967295\n',
  'proc/4321/fd/0': { link: '/dev/null' },
  'proc/4321/fd/1': { link: 'pipe:[1]' },
  'proc/4321/fd/2': { link: 'pipe:[2]' },
  [`sys/fs/cgroup/pids${CGROUP}/pids.max`]: 'max\n',
  [`sys/fs/cgroup/pids${CGROUP}/pids.current`]: '1\n',
  'dmesg.txt': '[ 1.0] eth0: link up\n',
  [`var/log/pods/jobs_thumbnailer-0_${UID}/worker/2.log`]: [
    '2026-11-29T03:14:15.000000000Z stderr F Traceback (most recent call last):',
    '2026-11-29T03:14:15.000000000Z stderr F   File "/app/worker.py", line 41, in <module>',
    "2026-11-29T03:14:15.000000000Z stderr F OSError: [Errno 24] Too many open files: '/data/in/0007.jpg'",
  ].join('\n'),
});
afterAll(() => snap.cleanup());

describe('a crash judged while its restarted twin holds few descriptors', () => {
  const r = podmortem(['node', '--root', snap.root, '--format', 'json']);
  const report = JSON.parse(r.stdout) as Report;
  const incident = report.incidents[0]!;

  it('reads the twin and labels its usage as the restarted instance', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(incident.subject).toMatchObject({ namespace: 'jobs', pod: 'thumbnailer-0', container: 'worker' });
    const nofile = incident.causes.find((c) => c.id === 'rlimit.nofile')!;
    const fds = nofile.evidence.find((e) => e.source === '/proc/4321/fd');
    expect(fds).toMatchObject({ of: 'restarted', text: '3 open files (the restarted instance, now)' });
  });

  it('puts rlimit.nofile first, confirmed or likely, from the crash line and the carried-over limit', () => {
    const first = incident.causes[0]!;
    expect(first.id).toBe('rlimit.nofile');
    expect(['confirmed', 'likely']).toContain(first.verdict);
    expect(first.evidence.map((e) => e.text).join('\n')).toContain('Max open files            64');
  });

  it('does not let the twin argue for another cause: inotify is not above it', () => {
    const ids = incident.causes.map((c) => c.id);
    const inotify = ids.indexOf('inotify.instances');
    expect(inotify === -1 || inotify > ids.indexOf('rlimit.nofile')).toBe(true);
    const ino = incident.causes.find((c) => c.id === 'inotify.instances');
    if (ino) expect(['unlikely', 'ruled-out', 'possible']).toContain(ino.verdict);
  });
});
