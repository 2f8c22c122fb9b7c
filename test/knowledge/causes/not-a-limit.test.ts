// A line that reports a failed thread or process creation raises resource limits only for the errnos
// a limit returns (EAGAIN, ENOMEM, EPERM from a seccomp profile) or when it gives none. errno 22
// (EINVAL) is what clone returns under an emulator (qemu-user running another architecture's Go
// binary rejects the runtime's clone flags): no limit returns it, so no limit is offered for it.
import { describe, expect, it } from 'vitest';
import { diagnoseCase, recognize } from './helpers.js';

const LIMITS = [
  'cgroup.pids',
  'kernel.pid_max',
  'kernel.threads-max',
  'rlimit.nproc',
  'memory.cgroup',
  'memory.node',
  'vm.max_map_count',
  'rlimit.as',
];

describe('an errno no resource limit returns raises no limit', () => {
  it('Go newosproc errno=22 under qemu emulation (tianon/gosu#93, docker/for-mac#6137): recognized, no limit offered', () => {
    // https://github.com/tianon/gosu/issues/93 (an amd64 build on an M1 Mac, through qemu)
    const lines = [
      '#6 0.088 runtime: failed to create new OS thread (have 2 already; errno=22)',
      '#6 0.088 fatal error: newosproc',
    ];
    const hits = recognize(lines);
    expect(hits.find((h) => h.id === 'go.newosproc')?.fields.errno).toBe(22);
    const ids = diagnoseCase({ lines }).map((a) => a.id);
    for (const limit of LIMITS) expect(ids, limit).not.toContain(limit);
  });

  it('the same line with errno=11 (the seed) still raises the task limits: only the errno differs', () => {
    // https://github.com/docker/for-mac/issues/6137 (linux/amd64 image on Apple M1) and the seed.
    const einval = diagnoseCase({
      lines: ['runtime: failed to create new OS thread (have 2 already; errno=22)'],
    }).map((a) => a.id);
    for (const limit of LIMITS) expect(einval, limit).not.toContain(limit);
    const eagain = diagnoseCase({
      lines: ['runtime: failed to create new OS thread (have 41 already; errno=11)'],
    }).map((a) => a.id);
    expect(eagain).toEqual(expect.arrayContaining(['cgroup.pids', 'kernel.pid_max', 'rlimit.nproc']));
  });
});
