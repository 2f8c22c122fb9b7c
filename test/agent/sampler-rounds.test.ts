// The sampler's rounds on real processes in real cgroup v1 folders: a round reads a few counters of
// each container and reads in full only what moved, yet the sample held for the exit stays the
// process's own and current. A program in a container-like cgroup (named by a 64-hex id, as runtimes
// name them) opens descriptors, starts threads and forks on command between rounds; each change must
// show in the sample that would be frozen if it died then. A pid that is not the container's own
// (gone, or in another container's cgroup) is reported stale, never sampled as the container's.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namesOtherContainer, Sampler, statCounters } from '../../src/agent/sampler.js';
import { readProcessFacts } from '../../src/sources/host/process-facts.js';
import { HostRoot } from '../../src/sources/host/root.js';
import type { RuntimeContainer } from '../../src/sources/runtime/types.js';
import { Cgroups, startIn } from '../lab/harness/cgroups.js';
import { describeNeeding } from '../prerequisites.js';

/** Opens descriptors, starts threads, forks children on command; answers "ok" to each line. */
const PROGRAM = `
import os, sys, threading, time, subprocess
held, kids = [], []
for line in sys.stdin:
    what, n = line.split()
    for _ in range(int(n)):
        if what == 'fds': held.append(os.open('/dev/null', os.O_RDONLY))
        if what == 'threads': threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
        if what == 'fork': kids.append(subprocess.Popen(['sleep', '600']))
    print('ok', flush=True)
`;

function container(id: string, pid: number): RuntimeContainer {
  return {
    id,
    name: `k8s_app_p_ns_${id.slice(0, 8)}_0`,
    kube: { container: 'app', pod: 'p', namespace: 'ns', podUid: 'u', attempt: 0 },
    running: true,
    restarting: false,
    pid,
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    privileged: false,
    pidsLimit: null,
    memoryLimit: null,
    ulimits: [],
    capAdd: [],
    runtime: 'docker',
    source: 'test',
  };
}

describeNeeding(
  'sampling rounds on real processes',
  ['root', 'cgroup-v1-pids', 'cgroup-v1-memory', 'python3'],
  () => {
    const cgroups = new Cgroups();
    const id = randomBytes(32).toString('hex');
    const rel = `/podmortem-sampler-${process.pid}/${id}`;
    let child: ChildProcess;
    let pid: number;
    let answers = 0;
    const sampler = new Sampler('/');
    const round = () => sampler.round([container(id, pid)]);
    const own = () => sampler.held(id)!.chains.find((l) => l.controller === 'pids' && l.path === rel);

    /** Sends one command and waits for its "ok". */
    const tell = async (command: string): Promise<void> => {
      const before = answers;
      child.stdin!.write(`${command}\n`);
      for (let i = 0; i < 400 && answers === before; i++) await new Promise((r) => setTimeout(r, 25));
      expect(answers, `python3 answered "${command}"`).toBe(before + 1);
    };

    beforeAll(async () => {
      const dirs = [
        cgroups.make('pids', rel, { 'pids.max': 64 }),
        // Its own memory folder: the usage of a quiet program stays put between rounds.
        cgroups.make('memory', rel),
      ];
      child = startIn(dirs, ['python3', '-c', PROGRAM]);
      child.stdout!.on('data', (c: Buffer) => (answers += (c.toString().match(/ok/g) ?? []).length));
      pid = child.pid!;
      await tell('fds 0'); // sh execs python3 once it joined the folders
    });

    afterAll(async () => {
      // The program and the sleeps it forked are the folder's tasks.
      for (const p of readFileSync(`/sys/fs/cgroup/pids${rel}/cgroup.procs`, 'utf8').split('\n'))
        if (p) process.kill(Number(p), 'SIGKILL');
      await cgroups.remove();
    });

    it('reads a new instance in full: descriptors, threads and the pids chain, as the crashed instance', () => {
      expect(round()).toEqual([]);
      expect(sampler.lastFullReads).toBe(1);
      const s = sampler.held(id)!;
      const listed = readProcessFacts(new HostRoot('/'), pid, 'crashed');
      expect(s.process.openFiles).toMatchObject({ of: 'crashed', value: listed.openFiles!.value });
      expect(s.process.threads).toMatchObject({ of: 'crashed', value: 1 });
      expect(own()).toMatchObject({ level: 'container', max: 64, current: 1 });
    });

    it('a quiet round reads only counters; descriptors opened meanwhile still show in the sample', async () => {
      round();
      expect(sampler.lastFullReads).toBe(0);
      await tell('fds 9');
      round();
      expect(sampler.lastFullReads).toBe(0);
      const listed = readProcessFacts(new HostRoot('/'), pid, 'crashed');
      expect(sampler.held(id)!.process.openFiles).toEqual(listed.openFiles);
    });

    it('new threads have the process and its chain read again', async () => {
      await tell('threads 5');
      round();
      expect(sampler.lastFullReads).toBe(1);
      expect(sampler.held(id)!.process.threads).toMatchObject({ of: 'crashed', value: 6 });
      expect(own()?.current).toBe(6);
    });

    it('forked children (the cgroup count moved) have the chain read again', async () => {
      round();
      await tell('fork 3');
      round();
      expect(sampler.lastFullReads).toBe(1);
      expect(own()?.current).toBe(9);
    });

    it('near a limit (10 tasks under pids.max 16), every round reads the chain', async () => {
      cgroups.make('pids', rel, { 'pids.max': 16 });
      await tell('fork 1');
      round();
      expect(own()).toMatchObject({ max: 16, current: 10 });
      for (let i = 0; i < 3; i++) {
        round();
        expect(sampler.lastFullReads).toBe(1);
      }
    });

    it('the sample an exit takes is the one held, then it is gone', () => {
      const held = sampler.held(id);
      expect(sampler.take(id, pid)).toBe(held);
      expect(sampler.held(id)).toBeUndefined();
    });

    it("a pid in another container's cgroup is stale, not sampled as that container's", () => {
      const other = randomBytes(32).toString('hex');
      expect(sampler.round([container(other, pid)])).toEqual([other]);
      expect(sampler.held(other)).toBeUndefined();
    });

    it('a pid that is gone is stale', () => {
      expect(sampler.round([container(id, 2 ** 22 + 7)])).toEqual([id]);
    });
  },
);

describe('namesOtherContainer', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  it('is false for the container own cgroup, in every runtime layout', () => {
    expect(namesOtherContainer(`12:pids:/kubepods/burstable/pod1/${a}\n`, a)).toBe(false);
    expect(namesOtherContainer(`0::/kubepods.slice/x.slice/cri-containerd-${a}.scope\n`, a)).toBe(false);
    expect(namesOtherContainer(`0::/docker/${b}/kubepods/pod1/${a}\n`, a)).toBe(false);
  });
  it('is false when the path names no container (a private cgroup namespace)', () => {
    expect(namesOtherContainer('0::/\n', a)).toBe(false);
  });
  it("is true in another container's cgroup", () => {
    expect(namesOtherContainer(`12:pids:/kubepods/burstable/pod1/${b}\n`, a)).toBe(true);
  });
});

describeNeeding('statCounters on a real /proc/<pid>/stat', ['linux', 'python3'], () => {
  it('finds threads, start time and address space after a command name holding spaces and parentheses', async () => {
    // The process renames itself (its comm) to a name that would shift a naive split, then starts threads.
    const child = spawn(
      'python3',
      [
        '-c',
        `import threading, time, sys
open('/proc/self/comm', 'w').write('a) b (c')
for _ in range(3): threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
print('ok', flush=True)
time.sleep(600)`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', () => reject(new Error('the child exited')));
      });
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      expect(stat).toContain('(a) b (c)');
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)![1]);
      const c = statCounters(stat);
      expect(c.threads).toBe(4);
      expect(c.threads).toBe(field('Threads'));
      expect(c.vsize).toBe(field('VmSize') * 1024);
      // Field 22 in clock ticks since boot: a number no later than now.
      expect(c.started).toMatch(/^\d+$/);
      const uptimeTicks = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
      expect(Number(c.started)).toBeLessThanOrEqual(uptimeTicks + 100);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
