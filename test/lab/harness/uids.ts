// Programs run as an unprivileged real UID under a given RLIMIT_NPROC or RLIMIT_NOFILE, as a
// container runtime starts them: setpriv drops to the UID (no supplementary groups), prlimit sets
// the limit, and both exec, so the child's PID is the program's.

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
