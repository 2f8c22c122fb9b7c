// What a test needs from the machine (root, cgroup v1 hierarchies, Go, Docker, kubectl ...), checked
// in one place. Outside CI a suite whose prerequisite is missing is skipped and the reason printed;
// with CI=true it is never skipped: it fails with one sentence naming the missing thing, because CI
// (.ci/run) installs everything and a silent skip there would hide a broken lab.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

export const IN_CI = process.env.CI === 'true';

export type Need =
  | 'linux'
  | 'root'
  | 'cgroup-v1-pids'
  | 'cgroup-v1-memory'
  | 'go'
  | 'dockerd'
  | 'busybox'
  | 'java'
  | 'bash'
  | 'setpriv'
  | 'prlimit'
  | 'kubectl'
  | 'patch'
  | 'chromium'
  | 'python3';

/** On PATH and runnable (`command -v` through sh, as .ci/run checks it). */
export function onPath(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

const CHECKS: Record<Need, () => string | undefined> = {
  linux: () => (process.platform === 'linux' ? undefined : `Linux (this is ${process.platform})`),
  root: () => (process.getuid?.() === 0 ? undefined : 'root (it writes cgroups and changes UIDs)'),
  'cgroup-v1-pids': () =>
    existsSync('/sys/fs/cgroup/pids/cgroup.procs')
      ? undefined
      : 'the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids',
  'cgroup-v1-memory': () =>
    existsSync('/sys/fs/cgroup/memory/cgroup.procs')
      ? undefined
      : 'the cgroup v1 memory hierarchy at /sys/fs/cgroup/memory',
  go: () => (onPath('go') ? undefined : 'the Go toolchain (go, Debian golang-go)'),
  dockerd: () =>
    onPath('dockerd') && existsSync('/usr/bin/docker')
      ? undefined
      : 'dockerd and /usr/bin/docker (Debian docker.io)',
  busybox: () =>
    existsSync('/usr/bin/busybox') || existsSync('/bin/busybox')
      ? undefined
      : 'busybox (Debian busybox-static)',
  java: () =>
    onPath('javac') && onPath('java') ? undefined : 'java and javac (Debian openjdk-17-jdk-headless)',
  bash: () => (existsSync('/usr/bin/bash') ? undefined : '/usr/bin/bash'),
  setpriv: () => (onPath('setpriv') ? undefined : 'setpriv (util-linux)'),
  prlimit: () => (onPath('prlimit') ? undefined : 'prlimit (util-linux)'),
  kubectl: () => (onPath('kubectl') ? undefined : 'kubectl (Debian kubernetes-client)'),
  patch: () =>
    onPath('patch') && onPath('diff') ? undefined : 'GNU patch and diff (Debian patch, diffutils)',
  // The web UI's browser tests drive Debian's build through playwright-core (no browser download).
  chromium: () =>
    onPath('chromium') && existsSync('/usr/bin/chromium') ? undefined : '/usr/bin/chromium (Debian chromium)',
  python3: () => (onPath('python3') ? undefined : 'python3 (Debian python3)'),
};

/**
 * A prerequisite checked elsewhere (PostgreSQL by test/server/pg-harness.ts, the containerd lab by
 * test/lab/containerd/lab.ts): undefined when present, else what is missing as a phrase.
 */
export type Check = () => string | undefined;

/** The first missing prerequisite as a phrase ("the Go toolchain (go, ...)"), or undefined. */
export function missing(needs: readonly (Need | Check)[]): string | undefined {
  for (const n of needs) {
    const why = typeof n === 'function' ? n() : CHECKS[n]();
    if (why) return why;
  }
  return undefined;
}

/**
 * `describe`, gated on what the suite needs: everything there, it runs as written; something missing,
 * it is skipped with the reason printed (outside CI) or replaced by one failing test naming the
 * missing thing (CI=true), so the suite's own setup never runs half-way on an unfit machine.
 */
export function describeNeeding(title: string, needs: readonly (Need | Check)[], body: () => void): void {
  const why = missing(needs);
  if (!why) {
    describe(title, body);
    return;
  }
  if (!IN_CI) {
    console.warn(`skipped "${title}": this machine lacks ${why}.`);
    describe.skip(title, body);
    return;
  }
  describe(title, () => {
    it('has what it needs on this machine', () => {
      throw new Error(`CI=true and this machine lacks ${why}: .ci/run must install it.`);
    });
  });
}
