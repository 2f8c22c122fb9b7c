// The process table against what the kernel and ps say on this machine: tasks per real UID, a real
// zombie, and the inotify instance libuv opens for fs.watch.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect, it } from 'vitest';
import { readProcess, readProcTable } from '../../../src/sources/host/proc-table.js';
import { HostRoot } from '../../../src/sources/host/root.js';
import { describeNeeding } from '../../prerequisites.js';
import { writeTree } from './tree.js';

const slash = new HostRoot('/');

describeNeeding('readProcTable on the real /proc', ['linux'], () => {
  it("counts this UID's tasks like ps -eLo ruid (within the churn of a busy machine)", () => {
    const uid = process.getuid!();
    const psCount = () =>
      execFileSync('ps', ['-eLo', 'ruid='], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.trim() !== '' && Number(l.trim()) === uid).length;
    const before = psCount();
    const table = readProcTable(slash)!;
    const after = psCount();
    const mine = table.byRealUid.get(uid)!.tasks;
    // Other jobs start and stop threads meanwhile: the count must sit between the two ps counts (and a margin).
    const slack = Math.max(20, Math.max(before, after) * 0.1);
    expect(mine).toBeGreaterThanOrEqual(Math.min(before, after) - slack);
    expect(mine).toBeLessThanOrEqual(Math.max(before, after) + slack);
    const self = table.processes.find((p) => p.pid === process.pid)!;
    expect(self.realUid).toBe(uid);
    expect(self.fds).toBeGreaterThan(2);
  });

  it('counts a real zombie (a child that its parent never reaps stays charged to the UID)', async () => {
    // `sleep 0.1 &` exits; the shell then execs `sleep 60`, which never waits for it: a zombie for as
    // long as the parent lives (it is killed in finally).
    const parent = spawn('sh', ['-c', 'sleep 0.1 & exec sleep 60'], { stdio: 'ignore' });
    // The parent of a process, from /proc/<pid>/stat (field 4, after the parenthesised name); other
    // jobs' zombies are reaped while we look, so a vanished process is simply not ours.
    const ppid = (pid: number): number | undefined => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      } catch {
        return undefined;
      }
    };
    try {
      let zombies: { pid: number; state: string }[] = [];
      for (let i = 0; i < 300 && zombies.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const table = readProcTable(slash, { fds: false })!;
        zombies = table.processes.filter((p) => p.state === 'Z' && ppid(p.pid) === parent.pid);
      }
      expect(zombies.length).toBe(1);
      const table = readProcTable(slash, { fds: false })!;
      expect(table.byRealUid.get(process.getuid!())!.zombies).toBeGreaterThanOrEqual(1);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('sees the inotify instance and watch that fs.watch holds', () => {
    const w = watch(tmpdir());
    try {
      const me = readProcess(slash, process.pid, true)!;
      expect(me.inotifyInstances).toBeGreaterThanOrEqual(1);
      expect(me.inotifyWatches).toBeGreaterThanOrEqual(1);
    } finally {
      w.close();
    }
  });

  it('has no process table under a root without /proc/<pid> folders', () => {
    expect(readProcTable(new HostRoot(tmpdir()))).toBeUndefined();
  });

  it('reads a snapshot /proc through the root: a status linked out of the snapshot is not followed', () => {
    const outside = writeTree({ status: 'Name:\tsecret\nUid:\t0\t0\t0\t0\nThreads:\t1\n' });
    const snap = writeTree({
      'proc/10/status': 'Name:\tapp\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\nThreads:\t7\n',
      'proc/11/status': { link: `${outside.root}/status` },
    });
    try {
      const t = readProcTable(new HostRoot(snap.root), { fds: false })!;
      expect(t.processes.map((p) => [p.pid, p.comm, p.threads])).toEqual([[10, 'app', 7]]);
      expect(t.byRealUid.get(1000)?.tasks).toBe(7);
    } finally {
      snap.cleanup();
      outside.cleanup();
    }
  });
});
