// The process table against what the kernel and ps say on this machine: tasks per real UID, a real
// zombie, and the inotify instance libuv opens for fs.watch.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { expect, it } from 'vitest';
import { FdMemo, readProcess, readProcTable, type ProcTable } from '../../../src/sources/host/proc-table.js';
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

  it("the agent's minute walk (FdMemo) counts the inotify a full walk counts, and sees new watches and instances", async () => {
    // A child that adds inotify watches on command: libuv opens one inotify instance per event loop at
    // its first fs.watch, and each further fs.watch is a watch on that same descriptor; a worker
    // thread has its own loop, hence a second instance.
    const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'pm-fdmemo-')));
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { watch } = require('node:fs'); const { Worker } = require('node:worker_threads');
         const keep = [];
         require('node:readline').createInterface({ input: process.stdin }).on('line', (cmd) => {
           const [verb, dir] = cmd.split(' ');
           if (verb === 'watch') { keep.push(watch(dir)); console.log('ok'); }
           if (verb === 'worker') {
             const w = new Worker("require('node:fs').watch(" + JSON.stringify(dir) + "); require('node:worker_threads').parentPort.postMessage(1); setInterval(() => {}, 1e6)", { eval: true });
             w.on('message', () => console.log('ok')); keep.push(w);
           }
         });
         console.log('ok');`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout! });
    const said: string[] = [];
    let wake = () => {};
    lines.on('line', (l) => {
      said.push(l);
      wake();
    });
    const ack = async (n: number) => {
      for (let i = 0; i < 100 && said.length < n; i++)
        await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
      expect(said.length).toBe(n);
    };
    const memo = new FdMemo();
    const inotifyOf = (t: ProcTable) => {
      const p = t.processes.find((e) => e.pid === child.pid)!;
      return [p.inotifyInstances, p.inotifyWatches];
    };
    try {
      await ack(1);
      child.stdin!.write(`watch ${dirs[0]}\n`);
      await ack(2);
      const first = readProcTable(slash, { fdMemo: memo })!;
      expect(inotifyOf(first)).toEqual([1, 1]);
      expect(first.fdsRemembered).toBe(true);
      // A second watch on the same instance: no new descriptor, the memo is used, the watch is counted.
      child.stdin!.write(`watch ${dirs[1]}\n`);
      await ack(3);
      const second = readProcTable(slash, { fdMemo: memo })!;
      expect(memo.reused).toBeGreaterThan(0);
      expect(inotifyOf(second)).toEqual([1, 2]);
      // A second instance (a worker's loop) changes the descriptors: its links are read again.
      child.stdin!.write(`worker ${dirs[2]}\n`);
      await ack(4);
      const third = readProcTable(slash, { fdMemo: memo })!;
      expect(inotifyOf(third)).toEqual([2, 3]);
      // What a full walk (podmortem node, an exit's record) counts for the UID is what the memo walk counts.
      const full = readProcTable(slash)!;
      expect(full.fdsRemembered).toBeUndefined();
      expect(inotifyOf(full)).toEqual([2, 3]);
      const uid = process.geteuid!();
      const again = readProcTable(slash, { fdMemo: memo })!;
      // (Other jobs on the machine may hold instances of their own: at least the child's.)
      expect(again.inotifyByUid.get(uid)?.instances).toBeGreaterThanOrEqual(2);
      // Entries due at once (a period of 0): every process's links are read again.
      const due = new FdMemo(0);
      readProcTable(slash, { fdMemo: due });
      const all = readProcTable(slash, { fdMemo: due })!;
      expect(due.reused).toBe(0);
      expect(due.linksRead).toBe(all.processes.filter((p) => p.fds !== undefined).length);
    } finally {
      child.kill('SIGKILL');
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
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
