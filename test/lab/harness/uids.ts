// Programs run as an unprivileged real UID under a given RLIMIT_NPROC or RLIMIT_NOFILE, as a
// container runtime starts them: setpriv drops to the UID (no supplementary groups), prlimit sets
// the limit, and both exec, so the child's PID is the program's.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

export interface Limits {
  nproc?: number;
  nofile?: number;
}

/** argv that runs `argv` as real and effective UID/GID `uid` under `limits`. */
export function asUid(uid: number, limits: Limits, argv: string[]): string[] {
  return [
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    'prlimit',
    ...(limits.nproc !== undefined ? [`--nproc=${limits.nproc}`] : []),
    ...(limits.nofile !== undefined ? [`--nofile=${limits.nofile}`] : []),
    '--',
    ...argv,
  ];
}

/**
 * `n` consecutive UIDs that no process on the node has now. RLIMIT_NPROC and inotify instances are
 * counted per UID across the whole node, so a scenario on a fixed UID would count the tasks of any
 * other job (another engineer's lab) that picked the same one.
 */
export function freshUids(n: number): number[] {
  const taken = new Set(
    spawnSync('ps', ['-eo', 'ruid=,euid='], { encoding: 'utf8' })
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map(Number),
  );
  for (;;) {
    const base = randomInt(100_000, 1_000_000_000);
    const uids = Array.from({ length: n }, (_, i) => base + i);
    if (uids.every((u) => !taken.has(u))) return uids;
  }
}
