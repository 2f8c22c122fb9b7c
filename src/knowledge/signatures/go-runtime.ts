// Go runtime crashes: thread creation failures, the 10000-thread cap, out-of-memory from mmap, and
// fatal errors / panics with their goroutine dump. Pure-Go thread creation is a raw clone() in
// runtime.newosproc (go:src/runtime/os_linux.go); its message prints the number of Ms (threads) the
// process already has, which is the key to the differential diagnosis: a small N means the limit
// that was hit is shared with other tasks.
import { errnoFields } from '../errno.js';
import type { Raise, SignatureDef } from '../types.js';

/** What an errno from clone()/pthread_create points at (../shared knowledge/limits.md §3.1). */
export function threadCreationRaises(errno: number | undefined, threads: number | undefined): Raise[] {
  if (errno === 12) {
    return [
      { cause: 'memory.cgroup', weight: 0.6, why: 'errno 12 (ENOMEM) from clone means kernel memory for the new task or its stack could not be charged, most often to the container memory cgroup.' },
      { cause: 'memory.node', weight: 0.4, why: 'ENOMEM can also come from the node running out of memory.' },
      { cause: 'pidns.init-exited', weight: 0.2, why: 'clone returns ENOMEM, not EAGAIN, in a pid namespace whose init has exited.' },
    ];
  }
  if (errno === 1) {
    return [{ cause: 'seccomp.clone3', weight: 0.8, why: 'errno 1 (EPERM) from thread creation is the signature of a seccomp profile that answers clone3 with EPERM.' }];
  }
  const small = threads !== undefined && threads < 1000;
  const smallWhy = small ? ` The process had only ${threads} threads, so a limit shared with other tasks was hit.` : '';
  return [
    { cause: 'cgroup.pids', weight: 0.5, why: `EAGAIN from clone is what a pids cgroup limit (container, pod podPidsLimit, systemd TasksMax) returns.${smallWhy}` },
    { cause: 'kernel.pid_max', weight: 0.4, why: 'EAGAIN is also returned when the pid namespace has no free PID numbers (kernel.pid_max).' },
    { cause: 'kernel.threads-max', weight: 0.3, why: 'EAGAIN is also returned when the node holds kernel.threads-max tasks.' },
    { cause: 'rlimit.nproc', weight: 0.35, why: 'EAGAIN is what RLIMIT_NPROC returns when the real UID already has that many tasks node-wide.' },
    { cause: 'memory.cgroup', weight: 0.1, why: 'glibc turns a failed thread-stack mmap into EAGAIN, so memory can hide behind it.' },
  ];
}

const newosproc: SignatureDef = {
  id: 'go.newosproc',
  family: 'go',
  title: 'Go runtime could not create an OS thread (newosproc)',
  keywords: ['failed to create new OS thread'],
  // "runtime: failed to create new OS thread (have 41 already; errno=11)"; early threads print no count.
  pattern: /failed to create new OS thread(?: \(have (\d+) already; errno=(-?\d+)\))?/,
  fields: (m) => ({
    ...(m[1] !== undefined ? { threads: Number(m[1]) } : {}),
    ...errnoFields(m[2] !== undefined ? Number(m[2]) : undefined),
  }),
  raises: (f) =>
    threadCreationRaises(
      typeof f.errno === 'number' ? f.errno : undefined,
      typeof f.threads === 'number' ? f.threads : undefined,
    ),
  subject: () => ({ exitCode: 2 }),
  docs: {
    what: 'The Go runtime calls clone() itself to start a new M (OS thread). When clone fails it prints the number of threads the process already has and the errno, then throws "fatal error: newosproc" and exits with status 2. Newer Go versions retry EAGAIN about 20 times first.',
    confirm: [
      '"have N already" is this process\'s own thread count: compare it with the limits shared with other tasks (pod pids.max, pid_max, threads-max, the UID\'s task count).',
      'errno=11 (EAGAIN) points at task-count limits; errno=12 (ENOMEM) at memory or a dead pid-namespace init; errno=1 (EPERM) at seccomp.',
    ],
    fix: ['Find which shared limit was reached before raising any of them; see the cause pages.'],
    sources: [
      'golang/go:src/runtime/os_linux.go (newosproc)',
      'golang/go:src/runtime/retry.go (retryOnEAGAIN)',
      'https://github.com/golang/go/issues/49438',
    ],
  },
  cases: [
    {
      source: 'shared/seed/calico-node-restart.md (calico-node v3.8.8, CentOS 7)',
      log: ['runtime: failed to create new OS thread (have 41 already; errno=11)'],
      fields: { threads: 41, errno: 11, errnoName: 'EAGAIN' },
    },
    {
      source: 'https://github.com/argoproj/argo-cd (corpus: argocd-controller-newosproc-errno12)',
      log: ['runtime: failed to create new OS thread (have 64 already; errno=12)'],
      fields: { threads: 64, errno: 12, errnoName: 'ENOMEM' },
    },
  ],
  nonMatching: ['created new OS thread successfully'],
};

const ulimitHint: SignatureDef = {
  id: 'go.ulimit-hint',
  family: 'go',
  title: 'Go runtime hint to raise ulimit -u',
  keywords: ['may need to increase max user processes'],
  pattern: /may need to increase max user processes \(ulimit -u\)/,
  // Go prints this for any EAGAIN: it names RLIMIT_NPROC but proves nothing about it.
  raises: () => [],
  docs: {
    what: 'Printed by the Go runtime after any EAGAIN from clone. It names RLIMIT_NPROC because that is one possible cause, not because the runtime knows it was the one.',
    confirm: ['Do not take it as proof: the same hint follows a pids cgroup or pid_max failure.'],
    fix: [],
    sources: ['golang/go:src/runtime/os_linux.go (newosproc)'],
  },
  cases: [
    { source: 'shared/seed/calico-node-restart.md', log: ['runtime: may need to increase max user processes (ulimit -u)'] },
  ],
};

export const signatures: SignatureDef[] = [newosproc, ulimitHint];
