// Real limits reached on this machine without a container engine (harness/bare.ts), each assessed by
// its cause module from the real crash output and the real counters: the pids cgroup is confirmed by
// its own files, RLIMIT_NPROC by the arithmetic of a real non-root UID, a memory cgroup by its OOM
// counter, RLIMIT_NOFILE and inotify instances by the process's own /proc, and none is confused with
// its neighbour.
import { expect, it } from 'vitest';
import { assess, fact, node, pidsLevel, procNumber, said, usage } from '../knowledge/causes/helpers.js';
import { describeNeeding } from '../prerequisites.js';
import {
  freshUids,
  runAsUidWithNproc,
  runHolding,
  runInMemoryCgroup,
  runInPidsCgroup,
} from './harness/index.js';

// RLIMIT_NPROC and inotify instances count per UID node-wide: a UID no other job uses right now.
const UID = freshUids(1)[0]!;

describeNeeding(
  'lab: real task limits reached on this machine',
  ['linux', 'root', 'cgroup-v1-pids', 'go', 'setpriv', 'prlimit'],
  () => {
    it('a Go program in a pids cgroup with pids.max 20: newosproc errno 11, cgroup.pids confirmed by the cgroup files', async () => {
      const run = await runInPidsCgroup(20);
      expect(run.exitCode).toBe(2);
      expect(run.log[0]).toMatch(/^runtime: failed to create new OS thread \(have \d+ already; errno=11\)$/);
      expect(run.files['pids.events']).toMatch(/^max [1-9]/);
      const events = Number(run.files['pids.events'].split(' ')[1]);
      const level = pidsLevel('container', run.path, {
        max: Number(run.files['pids.max']),
        current: Number(run.files['pids.current']),
        ...(run.files['pids.peak'] ? { peak: Number(run.files['pids.peak']) } : {}),
        events,
      });
      const n = node({
        cgroupVersion: 1,
        cgroupChains: [level],
        controllers: fact({ pids: true, memory: true }, '/proc/cgroups', 'pids 8 5 1'),
      });
      const a = assess('cgroup.pids', { lines: run.log, node: n });
      expect(a.verdict).toBe('confirmed');
      expect(said(a)).toMatch(
        new RegExp(`pids\\.events of the container level ${run.path} records max ${events}`),
      );
      expect(a.evidence.map((e) => e.source)).toContain(`/sys/fs/cgroup/pids${run.path}/pids.events`);
      // The same crash with only the kernel line (no counters): the line names the cgroup, which is proof too.
      if (run.kernelLine) {
        const k = node({
          cgroupChains: [pidsLevel('container', run.path, { max: 20 })],
          kernelLines: [
            {
              kind: 'pids-rejected',
              cgroup: run.path,
              evidence: { source: '/dev/kmsg', text: run.kernelLine },
            },
          ],
        });
        expect(assess('cgroup.pids', { lines: run.log, node: k }).verdict).toBe('confirmed');
      }
      // And the process was root: RLIMIT_NPROC cannot be it.
      expect(
        assess('rlimit.nproc', {
          lines: run.log,
          process: { realUid: fact(0, '/proc/self/status', 'Uid: 0 0 0 0') },
        }).verdict,
      ).toBe('ruled-out');
    });

    it('the same program as an unused non-root UID with RLIMIT_NPROC 30: rlimit.nproc confirmed by the arithmetic', async () => {
      const run = await runAsUidWithNproc(UID, 30);
      expect(run.exitCode).toBe(2);
      const m = /^runtime: failed to create new OS thread \(have (\d+) already; errno=11\)$/.exec(
        run.log[0] ?? '',
      );
      expect(m).not.toBeNull();
      const a = assess('rlimit.nproc', {
        lines: run.log,
        process: {
          realUid: fact(UID, `setpriv --reuid=${UID}`, `real UID ${UID}`),
          nprocLimit: fact(30, 'prlimit --nproc=30', 'Max processes 30 30 processes'),
          uidTasks: usage(
            'crashed',
            run.uidTasksAfter,
            'ps -eLo ruid=',
            `${run.uidTasksAfter} tasks of real UID ${UID} after the crash`,
          ),
        },
      });
      expect(a.verdict).toBe('confirmed');
      expect(said(a)).toMatch(new RegExp(`${run.uidTasksAfter} \\+ ${m![1]} = \\d+ ≥ 30`));
      // No pids limit anywhere in its chain: cgroup.pids is not the one.
      const n = node({ cgroupChains: [pidsLevel('container', '/', { max: null })] });
      expect(assess('cgroup.pids', { lines: run.log, node: n }).verdict).toBe('ruled-out');
    });
  },
);

describeNeeding('lab: a real memory-cgroup OOM kill', ['linux', 'root', 'cgroup-v1-memory', 'go'], () => {
  it('a Go program over a 64 MiB memory cgroup is killed silently; memory.cgroup confirmed, memory.node unlikely', async () => {
    const run = await runInMemoryCgroup(64, 512);
    expect(run.signal).toBe('SIGKILL');
    // The memcg OOM killer gives the program no chance to print anything (limits.md §5.3).
    expect(run.log).toEqual([]);
    const oomKills = Number(/oom_kill (\d+)/.exec(run.files['memory.oom_control'])?.[1] ?? '0');
    expect(oomKills).toBeGreaterThan(0);
    const dir = `/sys/fs/cgroup/memory${run.path}`;
    const level = {
      path: run.path,
      level: 'container',
      controller: 'memory' as const,
      max: Number(run.files['memory.limit_in_bytes']),
      peak: Number(run.files['memory.max_usage_in_bytes']),
      events: oomKills,
      evidence: [
        { source: `${dir}/memory.limit_in_bytes`, text: run.files['memory.limit_in_bytes'] },
        { source: `${dir}/memory.oom_control`, text: run.files['memory.oom_control'].replace(/\n/g, ', ') },
      ],
    };
    const kernelLines = run.kernelLine
      ? [
          {
            kind: 'memcg-oom' as const,
            cgroup: run.path,
            evidence: { source: '/dev/kmsg', text: run.kernelLine },
          },
        ]
      : [];
    const n = node({ cgroupVersion: 1, cgroupChains: [level], kernelLines });
    // What the kubelet records for such a container: exit code 137 (128 + SIGKILL), reason OOMKilled.
    const subject = { exitCode: 137, reason: 'OOMKilled', source: 'pod.yaml' };
    const raise = { cause: 'memory.cgroup', weight: 0.9, why: 'The runtime reported OOMKilled.' };
    const a = assess('memory.cgroup', { subject, node: n, raise });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(new RegExp(`recorded ${oomKills} OOM kill`));
    expect(a.evidence.map((e) => e.source)).toContain(`${dir}/memory.oom_control`);
    const b = assess('memory.node', { subject, node: n, raise: { ...raise, cause: 'memory.node' } });
    expect(b.verdict).toBe('unlikely');
    expect(b.summary).toMatch(/inside a memory cgroup limit/);
  });
});

describeNeeding('lab: real descriptor limits', ['linux', 'root', 'go', 'setpriv', 'prlimit'], () => {
  it('RLIMIT_NOFILE 64: "open /dev/null: too many open files", rlimit.nofile confirmed from the process\'s /proc', async () => {
    const run = await runHolding('files', UID, 64);
    expect(run.log).toEqual(['open /dev/null: too many open files']);
    expect(run.nofileSoft).toBe('64');
    const a = assess('rlimit.nofile', {
      lines: run.log,
      process: {
        nofileLimit: fact(64, `/proc/${run.pid}/limits`, 'Max open files 64 64 files'),
        openFiles: usage('crashed', run.fds, `/proc/${run.pid}/fd`, `${run.fds} entries`),
      },
    });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(/descriptors against a soft limit of 64/);
  });

  it('inotify instances of one UID at max_user_instances: inotify.instances confirmed, rlimit.nofile unlikely', async () => {
    const max = procNumber('/proc/sys/fs/inotify/max_user_instances');
    const run = await runHolding('inotify', UID);
    expect(run.log).toEqual(['failed to create fsnotify watcher: too many open files']);
    expect(run.inotifyFds).toBe(max.value);
    const usageEntry = {
      id: 'inotify.instances',
      scope: `uid:${UID}`,
      used: run.inotifyFds,
      max: max.value,
      ratio: run.inotifyFds / max.value,
      evidence: [
        max.evidence,
        {
          source: `/proc/${run.pid}/fd`,
          text: `${run.inotifyFds} anon_inode:inotify descriptors, effective UID ${UID}`,
        },
      ],
    };
    const n = node({ inotifyMaxUserInstances: max, limits: [usageEntry] });
    const uid = fact(UID, `setpriv --reuid=${UID}`, `real UID ${UID}`);
    // The line names the watcher, so the real inotify signature raises the cause: no raise is invented here.
    const a = assess('inotify.instances', { lines: run.log, process: { realUid: uid }, node: n });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(new RegExp(`UID ${UID} holds ${max.value} of ${max.value}`));
    // Go raised its soft NOFILE to the hard limit: the descriptors are far from it.
    const soft = Number(run.nofileSoft);
    const b = assess('rlimit.nofile', {
      lines: run.log,
      process: {
        nofileLimit: fact(soft, `/proc/${run.pid}/limits`, `Max open files ${soft}`),
        openFiles: usage('crashed', run.fds, `/proc/${run.pid}/fd`, `${run.fds} entries`),
      },
    });
    expect(b.verdict).toBe('unlikely');
  });
});
