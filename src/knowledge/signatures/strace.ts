// A failed task creation as strace prints it: the syscall, its arguments, "= -1 ERRNO (strerror)".
// People paste these lines when the program's own message says too little. The syscall and its
// flags say what was being created: clone3 refused with EPERM is the old seccomp profile itself
// (glibc falls back to clone only on ENOSYS), CLONE_THREAD marks a thread, anything else a process.
import { errnoFields, errnoFromName } from '../errno.js';
import type { Fields, Raise, SignatureDef } from '../types.js';
import { atLineStart } from './line-start.js';
import { processCreationRaises, threadCreationRaises } from './raises.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * strace starts each line with the syscall, after an optional "[pid N] " (-f) or "N " (-ff to one
 * file) and an optional time of day (-t, -tt). One anchored start keeps the bounded scan linear.
 * Only the errnos of a refused task creation are taken: clone3's ENOSYS is glibc's normal probe.
 */
const pattern = atLineStart(
  String.raw`(?:\[pid {1,6}\d{1,10}\] |\d{1,10} {1,2})?(?:\d\d:\d\d:\d\d(?:\.\d{1,6})? )?(clone3?|v?fork)\(([^\n]{0,4000}?)\) = -1 (EAGAIN|ENOMEM|EPERM)\b`,
);

function raises(f: Fields): Raise[] {
  const errno = num(f.errno);
  if (f.syscall === 'clone3' && errno === 1) {
    return [
      {
        cause: 'seccomp.clone3',
        weight: 0.9,
        why: 'clone3 itself was answered with EPERM: a seccomp profile that predates clone3 (Docker < 20.10.10, containerd < 1.4.10/1.5.6) denies it with EPERM, and glibc >= 2.34 falls back to clone only on ENOSYS.',
      },
    ];
  }
  return f.thread === true ? threadCreationRaises(errno, undefined, false) : processCreationRaises(errno);
}

const cloneFailed: SignatureDef = {
  id: 'strace.clone-failed',
  family: 'strace',
  title: 'strace shows clone, clone3 or fork refused (= -1 EAGAIN, ENOMEM or EPERM)',
  // The errno and the start of its strerror, as strace prints them: distinctive, unlike "= -1".
  keywords: ['EAGAIN (Resource', 'ENOMEM (Cannot', 'EPERM (Operation'],
  pattern,
  fields: (m): Fields => ({
    syscall: m[1]!,
    thread: /\bCLONE_THREAD\b/.test(m[2]!),
    ...errnoFields(errnoFromName(m[3]!)),
  }),
  raises,
  docs: {
    what: 'The kernel (or a seccomp filter in front of it) refused to create a task, as traced by strace. EAGAIN: a task-count limit (pids cgroup, RLIMIT_NPROC, pid_max, threads-max). ENOMEM: memory for the new task, the commit accounting for a fork, or a pid namespace whose init exited. EPERM on clone3: the seccomp profile of an old container runtime.',
    confirm: [
      'For EAGAIN compare pids.current with pids.max up the cgroup chain and the UID task count with RLIMIT_NPROC; for EPERM on clone3 check the runtime version and the seccomp profile in use.',
    ],
    fix: ['See the cause pages.'],
    sources: [
      'https://man7.org/linux/man-pages/man2/clone.2.html (ERRORS)',
      'strace/strace:src/strace.c (output format)',
      'https://github.com/moby/moby/issues/42680',
    ],
  },
  cases: [
    {
      source: 'https://github.com/moby/moby/issues/42680 (Fedora rawhide image under Docker seccomp)',
      log: [
        'clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f000ec6d910, parent_tid=0x7f000ec6d910, exit_signal=0, stack=0x7f000e46d000, stack_size=0x7ffe00, tls=0x7f000ec6d640}, 88) = -1 EPERM (Operation not permitted)',
      ],
      fields: { syscall: 'clone3', thread: true, errno: 1, errnoName: 'EPERM' },
    },
  ],
  nonMatching: [
    // glibc's probe: ENOSYS makes it fall back to clone, nothing failed.
    'clone3({flags=CLONE_VM|CLONE_THREAD, stack=0x7f, stack_size=0x7ffe00}, 88) = -1 ENOSYS (Function not implemented)',
    'openat(AT_FDCWD, "/etc/ld.so.preload", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
  ],
};

export const signatures: SignatureDef[] = [cloneFailed];
