// Node facts pasted into posts: cgroup files, sysctls, ps and lsof listings, systemctl show,
// limits.conf fragments and kernel lines.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { paste, read } from './helpers.js';

describe('cgroup files printed with cat', () => {
  it("this process's memory limit, read from the live machine's cgroup files, is one level of its chain", () => {
    // cgroup v1 (memory.limit_in_bytes under the memory hierarchy) or v2 (memory.max in the unified one).
    const table = readFileSync('/proc/self/cgroup', 'utf8');
    const v1 = /^\d+:memory:(\/.*)$/m.exec(table)?.[1];
    const own = v1 ?? /^0::(\/.*)$/m.exec(table)?.[1];
    expect(own, 'this process has a memory cgroup').toBeDefined();
    const file = v1
      ? `/sys/fs/cgroup/memory${own === '/' ? '' : own}/memory.limit_in_bytes`
      : `/sys/fs/cgroup${own === '/' ? '' : own}/memory.max`;
    const raw = readFileSync(file, 'utf8').trim();
    const f = read(`$ cat ${file}\n${raw}\n`);
    const n = raw === 'max' ? null : Number(raw);
    expect(f.node.cgroupChains).toEqual([
      expect.objectContaining({
        path: own,
        controller: 'memory',
        max: n === null || n >= 2 ** 62 ? null : n,
        evidence: [{ source: 'post.md', line: 2, text: raw }],
      }),
    ]);
  });

  it('pids.events "max N" and memory.events "oom_kill N" under a kubepods path; grep -H output', () => {
    const pod = '/kubepods/burstable/pod8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813';
    const f = read(
      paste(`
      # cat /sys/fs/cgroup/pids${pod}/pids.events
      max 12
      $ grep . /sys/fs/cgroup${pod}/memory.max /sys/fs/cgroup${pod}/memory.events
      /sys/fs/cgroup${pod}/memory.max:268435456
      /sys/fs/cgroup${pod}/memory.events:oom_kill 3
      `),
    );
    const chains = f.node.cgroupChains!;
    expect(chains.find((c) => c.controller === 'pids')).toMatchObject({
      path: pod,
      level: 'pod',
      events: 12,
    });
    expect(chains.find((c) => c.controller === 'memory')).toMatchObject({
      path: pod,
      max: 268435456,
      events: 3,
    });
  });

  it('a relative path says no cgroup: nothing goes into a chain', () => {
    expect(read('$ cat pids.max\n4096\n').node.cgroupChains).toBeUndefined();
  });
});

describe('sysctls and counters', () => {
  it('cat /proc/sys values with their prompts (canonical/lxd#3764, JuliaLang/julia#38550)', () => {
    const f = read(
      paste(`
      root@SGBPPC098:~# cat /proc/sys/kernel/threads-max 
      63007
      root@SGBPPC098:~# cat /proc/sys/kernel/pid_max 
      32768
      root@SGBPPC098:~# ps auxH | wc -l
      838
      root@SGBPPC098:~# ps auxH | wc -l
      1326
      ubuntu@aarch64bot1:~$ cat /proc/sys/fs/file-max
      9223372036854775807
      `),
    );
    expect(f.node.threadsMax).toMatchObject({ value: 63007, evidence: { line: 2 } });
    expect(f.node.pidMax).toMatchObject({ value: 32768, evidence: { line: 4 } });
    expect(f.node.tasks).toMatchObject({ value: 1325, evidence: { line: 8 } }); // the latest count, header excluded
    expect(f.node.fileMax?.value).toBeGreaterThan(2 ** 62);
  });

  it('sysctl lines, file-nr (netdata/netdata#1272) and loadavg', () => {
    const f = read(
      paste(`
      $ sysctl -a | grep -E 'pid_max|threads-max'
      kernel.pid_max = 4194304
      kernel.threads-max = 2057599
      $ cat /proc/sys/fs/file-nr
      1440    0       65535
      $ cat /proc/loadavg
      12.31 11.87 11.02 9/32760 28411
      `),
    );
    expect(f.node.pidMax?.value).toBe(4194304);
    expect(f.node.threadsMax?.value).toBe(2057599);
    expect(f.node.filesAllocated).toMatchObject({ value: 1440, evidence: { line: 5 } });
    expect(f.node.fileMax?.value).toBe(65535);
    expect(f.node.tasks?.value).toBe(32760);
  });

  it('rejects values that are not values', () => {
    const f = read(
      '$ cat /proc/sys/kernel/pid_max\ncat: /proc/sys/kernel/pid_max: No such file\nkernel.pid_max = 0\n',
    );
    expect(f.node.pidMax).toBeUndefined();
  });
});

describe('ps, lsof, systemctl show', () => {
  it('<defunct> rows without a header: zombies per user (mesosphere-backup/docker-containers#9)', () => {
    const f = read(
      paste(`
      root      2512  0.0  0.0      0     0 ?        Z    Feb11   0:00 [docker] <defunct>
      root      2534  0.0  0.0      0     0 ?        Z    Feb11   0:00 [sh] <defunct>
      root      2535  0.0  0.0      0     0 ?        Z    Feb11   0:00 [sh] <defunct>
      `),
    );
    expect(f.notes.join(' ')).toBe(''); // no header and no command: these rows prove nothing alone
    const g = read(
      `$ ps aux | grep defunct\n${paste(`
      root      2512  0.0  0.0      0     0 ?        Z    Feb11   0:00 [docker] <defunct>
      root      2534  0.0  0.0      0     0 ?        Z    Feb11   0:00 [sh] <defunct>
      root      2535  0.0  0.0      0     0 ?        Z    Feb11   0:00 [sh] <defunct>
      `)}`,
    );
    expect(g.notes.join(' ')).toMatch(/shows 3 <defunct> zombies among 3 processes .*3 owned by root/);
  });

  it('ps -ef with a header: the zombie parent (DeepQuestAI/DeepStack-Base#2)', () => {
    const f = read(
      paste(`
      root@e53d5a805a79:/app/server# ps -ef
      UID          PID    PPID  C STIME TTY          TIME CMD
      root           1       0  0 14:08 ?        00:00:00 /app/server/server
      root          15       1  0 14:08 ?        00:00:00 [redis-server] <defunct>
      root          17       1  2 14:08 ?        00:00:09 redis-server *:6379
      `),
    );
    expect(f.notes.join(' ')).toMatch(
      /1 <defunct> zombie among 3 processes \(3 tasks\), 1 of them children of PID 1/,
    );
  });

  it('lsof rows per process, thread rows not counted twice (driskell/log-courier#364)', () => {
    const f = read(
      paste(`
      COMMAND     PID   TID               USER   FD      TYPE             DEVICE  SIZE/OFF       NODE NAME
      memcached   862                memcached   26u     unix 0xffff8801c33fa400       0t0   23397500 /var/run/memcached/memcached.sock
      memcached   862   866          memcached   26u     unix 0xffff8801c33fa400       0t0   23397500 /var/run/memcached/memcached.sock
      `),
    );
    expect(f.notes.join(' ')).toMatch(/shows 1 open files for PID 862 \(memcached\)/);
    expect(f.process.openFiles).toBeUndefined(); // whose usage it is cannot be told
  });

  it('systemctl show -p TasksMax of a unit is a level of the chain; without the unit, no level', () => {
    // TasksMax=512: systemd 228's default (moby/moby#21491, coreos/coreos-overlay#1912).
    const f = read('$ systemctl show docker -p TasksMax\nTasksMax=512\n');
    expect(f.node.cgroupChains).toEqual([
      expect.objectContaining({
        path: '/system.slice/docker.service',
        level: 'unit',
        controller: 'pids',
        max: 512,
      }),
    ]);
    expect(read('TasksMax=512\n').node.cgroupChains).toBeUndefined();
  });
});

describe('limits.conf fragments and kernel lines', () => {
  it('limits.d with comments and a blank line, under its file name (seed)', () => {
    const f = read(
      paste(`
      cat /etc/security/limits.d/20-nproc.conf
      # Default limit for number of user's processes to prevent
      # accidental fork bombs.
      # See rhbz #432903 for reasoning.

      *          soft    nproc     4096
      root       soft    nproc     unlimited
      `),
    );
    expect(f.node.pamLimits?.map((p) => [p.domain, p.item, p.value, p.evidence.line])).toEqual([
      ['*', 'nproc', '4096', 6],
      ['root', 'nproc', 'unlimited', 7],
    ]);
    expect(f.files).toEqual([{ path: '/etc/security/limits.d/20-nproc.conf', lines: [6, 7] }]);
    expect(read('* soft nproc lots\nsoft nproc 4096\n').node.pamLimits).toBeUndefined();
  });

  it('kernel lines from kern.log and dmesg (Zilliqa/zq1#151, moby/moby#15621)', () => {
    const f = read(
      paste(`
      Mar 24 16:29:08 liuhc-ubuntu kernel: [ 4528.091515] cgroup: fork rejected by pids controller in /user.slice/user-1000.slice
      root@a9eade3085a5:/# dmesg | tail -n 5
      [    0.000000] Memory cgroup out of memory: Kill process 19417 (python) score 890 or sacrifice child
      `),
    );
    expect(f.node.kernelLines?.map((k) => [k.kind, k.cgroup, k.evidence.line])).toEqual([
      ['pids-rejected', '/user.slice/user-1000.slice', 1],
      ['memcg-oom', undefined, 3],
    ]);
  });
});
