// What a failed task creation or a failed open points at, shared by every crash family: the errno
// decides the candidate limits (shared/knowledge/limits.md §1.1, §3.1, §5), the way the task was
// created decides a few more. Weights only rank causes of equal verdict; the cause modules decide.
import type { Raise } from '../types.js';

/** Causes that the pids/PID/task-count limits share: all of them answer clone()/fork() with EAGAIN. */
function eagainTaskLimits(threads: number | undefined): Raise[] {
  const small = threads !== undefined && threads < 1000;
  const smallWhy = small
    ? ` The process had only ${threads} threads: a pids limit that refused it would be one it shares with other tasks (the pod's, a unit's).`
    : '';
  return [
    {
      cause: 'cgroup.pids',
      weight: 0.5,
      why: `EAGAIN from clone is what a pids cgroup limit (container, pod podPidsLimit, systemd TasksMax) returns.${smallWhy}`,
    },
    {
      cause: 'kernel.pid_max',
      weight: 0.4,
      why: 'EAGAIN is also returned when the pid namespace has no free PID numbers (kernel.pid_max).',
    },
    {
      cause: 'kernel.threads-max',
      weight: 0.3,
      why: 'EAGAIN is also returned when the node holds kernel.threads-max tasks.',
    },
    {
      cause: 'rlimit.nproc',
      weight: 0.35,
      why: 'EAGAIN is what RLIMIT_NPROC returns when the real UID already has that many tasks node-wide.',
    },
  ];
}

/**
 * glibc maps the thread stack itself and pthread_create turns the mmap's ENOMEM into EAGAIN
 * (bminor/glibc:nptl/pthread_create.c "err == ENOMEM ? EAGAIN : err" after allocate_stack). An mmap
 * fails for the commit accounting (mm/util.c __vm_enough_memory: vm.overcommit_memory=2 past
 * CommitLimit, or the heuristic refusing a mapping larger than RAM plus swap), for RLIMIT_AS (raised
 * by rlimit.as itself) or for vm.max_map_count; never for a memory cgroup, which charges pages when
 * they are touched and OOM-kills at its limit (mm/memcontrol.c). Speculative: EAGAIN alone is far
 * more often a task limit, so these stay candidates only when evidence shows the mechanism.
 */
const GLIBC_STACK: Raise[] = [
  {
    cause: 'memory.node',
    weight: 0.1,
    why: "glibc turns a failed thread-stack mmap into EAGAIN; the node's commit accounting (vm.overcommit_memory=2 past CommitLimit) refuses such an mmap. A memory cgroup never does: it charges pages when touched and kills at its limit.",
    speculative: true,
  },
  {
    cause: 'vm.max_map_count',
    weight: 0.1,
    why: 'Each glibc thread stack is one or two memory mappings; mmap fails once the process holds vm.max_map_count of them, and pthread_create reports EAGAIN.',
    speculative: true,
  },
];

/**
 * EAGAIN, or an errno the line does not give: the task-count limits. Any other errno (EINVAL under
 * an emulator such as qemu-user, ENOSYS...) is not what a resource limit returns, so the line raises
 * no limit because of it.
 */
const taskLimitErrno = (errno: number | undefined): boolean => errno === undefined || errno === 11;

/**
 * What an errno from thread or process creation points at (limits.md §1.1, §3.1).
 * `viaGlibc`: the task was created by glibc's pthread_create (cgo, JVM, C, Python, Rust, libuv),
 * which maps the stack first and reports a failed mmap as EAGAIN. Pure-Go newosproc and fork()
 * call clone() directly with a stack allocated beforehand, so their EAGAIN is a task-count limit only.
 */
export function threadCreationRaises(
  errno: number | undefined,
  threads: number | undefined,
  viaGlibc = false,
): Raise[] {
  if (errno === 12) {
    return [
      {
        cause: 'memory.cgroup',
        weight: 0.5,
        why: "errno 12 (ENOMEM) from clone means the kernel could not allocate the new task's structures or kernel stack; they are charged to the memory cgroup, so a cgroup at its limit (a v1 kmem limit above all) refuses them.",
      },
      {
        cause: 'memory.node',
        weight: 0.4,
        why: 'ENOMEM from clone can also come from the node running out of memory for kernel allocations.',
      },
      {
        cause: 'pidns.init-exited',
        weight: 0.2,
        why: 'clone returns ENOMEM, not EAGAIN, in a pid namespace whose init has exited.',
      },
    ];
  }
  if (errno === 1) {
    return viaGlibc
      ? [
          {
            cause: 'seccomp.clone3',
            weight: 0.8,
            why: 'errno 1 (EPERM) from pthread_create is the signature of a seccomp profile that answers clone3 with EPERM (glibc >= 2.34 with Docker < 20.10.10 or containerd < 1.4.10/1.5.6).',
          },
        ]
      : [
          {
            cause: 'seccomp.clone3',
            weight: 0.4,
            why: 'errno 1 (EPERM) from clone comes from a seccomp or LSM policy; a raw clone is not clone3, so the profile denies more than clone3.',
          },
        ];
  }
  if (!taskLimitErrno(errno)) return [];
  return [...eagainTaskLimits(threads), ...(viaGlibc ? GLIBC_STACK : [])];
}

/**
 * glibc thread creation failed and the message does not say why (JVM "unable to create native
 * thread", Python "can't start new thread", tokio "OS can't spawn worker thread", .NET "Thread
 * failed to start", Node's uv_thread_create assertion). EPERM from an old seccomp profile on
 * clone3 prints the same text, so it stays a candidate. The limits one workload reaches alone
 * (its pod's pids, its UID's nproc, its profile) come before node-wide exhaustion, which breaks
 * every other process of the node at the same time.
 */
export function unknownThreadCreationRaises(): Raise[] {
  return [
    {
      cause: 'cgroup.pids',
      weight: 0.5,
      why: 'A pids cgroup limit (container, pod podPidsLimit, systemd TasksMax) is the most common reason a container cannot start one more thread.',
    },
    {
      cause: 'rlimit.nproc',
      weight: 0.35,
      why: 'RLIMIT_NPROC counts the threads of every process of the real UID node-wide; a non-root UID shared by several containers reaches it with few threads each.',
    },
    {
      cause: 'seccomp.clone3',
      weight: 0.35,
      why: 'The message does not show the errno: with glibc >= 2.34 in the image and Docker < 20.10.10 or containerd < 1.4.10/1.5.6 on the node, clone3 is answered with EPERM and thread creation fails with the same words.',
    },
    {
      cause: 'kernel.pid_max',
      weight: 0.3,
      why: 'The pid namespace may have run out of PID numbers (kernel.pid_max); every process of the node would fail at the same time.',
    },
    {
      cause: 'kernel.threads-max',
      weight: 0.25,
      why: 'The node may hold kernel.threads-max tasks; every process of the node would fail at the same time.',
    },
    { ...GLIBC_STACK[0]!, weight: 0.15 },
    { ...GLIBC_STACK[1]!, weight: 0.15 },
  ];
}

/**
 * errno from fork()/clone() of a new process. fork copies the parent's address space: every private
 * writable mapping is charged again to the commit accounting (kernel/fork.c dup_mmap ->
 * security_vm_enough_memory_mm -> mm/util.c __vm_enough_memory), so a large parent (Redis at
 * BGSAVE) is refused under vm.overcommit_memory=2 or by the heuristic: the classic fork ENOMEM. In a
 * pid namespace whose init has exited alloc_pid returns ENOMEM too (kernel/pid.c). The memory cgroup
 * only refuses the new task's kernel structures (charged at allocation), a rarer way to get it.
 */
export function processCreationRaises(errno: number | undefined): Raise[] {
  if (errno === 12) {
    return [
      {
        cause: 'memory.node',
        weight: 0.6,
        why: "fork returns ENOMEM when the node's commit accounting refuses to commit the parent's private writable memory again for the child (vm.overcommit_memory=2 past CommitLimit, or the heuristic refusing a large parent such as Redis at BGSAVE): the classic cause.",
      },
      {
        cause: 'pidns.init-exited',
        weight: 0.3,
        why: 'fork returns ENOMEM, not EAGAIN, in a pid namespace whose init has exited (an exec into a terminating container).',
      },
      {
        cause: 'memory.cgroup',
        weight: 0.2,
        why: "fork also returns ENOMEM when the new task's kernel structures cannot be charged to a memory cgroup at its limit; the cgroup does not refuse the copied address space itself (pages are charged when touched).",
      },
    ];
  }
  if (errno === 1) {
    return [
      {
        cause: 'seccomp.clone3',
        weight: 0.4,
        why: 'EPERM from process creation comes from a seccomp profile; glibc >= 2.34 posix_spawn uses clone3, which old Docker/containerd profiles answer with EPERM.',
      },
    ];
  }
  return taskLimitErrno(errno) ? eagainTaskLimits(undefined) : [];
}

/** EMFILE from a call that opens a descriptor (open, socket, accept, pipe): the process's own limit. */
export function emfileRaises(callKnown: boolean): Raise[] {
  const out: Raise[] = [
    {
      cause: 'rlimit.nofile',
      weight: 0.8,
      why: 'EMFILE ("too many open files") means the process holds RLIMIT_NOFILE descriptors.',
    },
  ];
  if (!callKnown) {
    out.push({
      cause: 'inotify.instances',
      weight: 0.3,
      why: 'The line does not say which call failed: inotify_init returns the same EMFILE when the UID holds fs.inotify.max_user_instances instances, and file-watching libraries print it bare.',
    });
  }
  return out;
}

/** EMFILE from a file watcher: inotify_init hit fs.inotify.max_user_instances (limits.md §5.2). */
export function watcherEmfileRaises(): Raise[] {
  return [
    {
      cause: 'inotify.instances',
      weight: 0.8,
      why: 'inotify_init returns EMFILE ("too many open files") when the UID already holds fs.inotify.max_user_instances instances (128 by default), counted across every container of that UID.',
    },
    {
      cause: 'rlimit.nofile',
      weight: 0.3,
      why: 'An inotify instance is also a file descriptor, so the process may instead be at RLIMIT_NOFILE.',
    },
  ];
}

/** ENOSPC from inotify_add_watch: fs.inotify.max_user_watches (limits.md §5.2). */
export function watcherEnospcRaises(): Raise[] {
  return [
    {
      cause: 'inotify.watches',
      weight: 0.9,
      why: 'inotify_add_watch returns ENOSPC ("no space left on device") when the UID holds fs.inotify.max_user_watches watches; the disk is not involved.',
    },
  ];
}

/** ENFILE: the node-wide fs.file-max. */
export function enfileRaises(): Raise[] {
  return [
    {
      cause: 'fs.file-max',
      weight: 0.9,
      why: 'ENFILE ("too many open files in system") means the node holds fs.file-max open files; only processes without CAP_SYS_ADMIN are refused.',
    },
  ];
}
