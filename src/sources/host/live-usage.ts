// Per-user usage that only a live root can show: tasks per real UID (RLIMIT_NPROC counts them
// node-wide, linux:kernel/fork.c, limits.md §1.2) and inotify instances and watches per effective
// UID (ucounts keyed by euid, linux:fs/notify/inotify/inotify_user.c, limits.md §5.2). One pass over
// /proc/<pid>: status gives Uid (real, effective, ...) and Threads, so a process costs one read
// rather than one per thread (glibc keeps every thread of a process on the same UIDs); limits gives
// the soft "Max processes". Bounded: a node with more processes or descriptors than the caps is
// counted partially and says so.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { HostRoot } from './root.js';

const MAX_PROCESSES = 100_000;
/** readlink calls over all /proc/<pid>/fd entries; beyond this inotify counts are partial. */
const MAX_FD_LINKS = 500_000;

export interface ProcessUsage {
  pid: number;
  name: string;
  realUid: number;
  effectiveUid: number;
  threads: number;
  /** Soft RLIMIT_NPROC, null for unlimited, undefined when /proc/<pid>/limits was unreadable. */
  nprocSoft?: number | null;
  inotifyInstances: number;
  inotifyWatches: number;
}

export interface LiveUsage {
  processes: ProcessUsage[];
  /** Sentences for counts that are partial. */
  partial: string[];
}

export function readLiveUsage(root: HostRoot): LiveUsage | undefined {
  const proc = root.realDir('/proc');
  if (!proc) return undefined;
  let names: string[];
  try {
    names = readdirSync(proc);
  } catch {
    return undefined;
  }
  const pids = names.filter((n) => /^\d{1,10}$/.test(n));
  const partial: string[] = [];
  if (pids.length > MAX_PROCESSES)
    partial.push(`/proc: ${pids.length} processes; only the first ${MAX_PROCESSES} were counted.`);
  let links = 0;
  const processes: ProcessUsage[] = [];
  for (const pid of pids.slice(0, MAX_PROCESSES)) {
    // Processes exit while we read: a vanished /proc/<pid> is skipped silently.
    let status: string;
    try {
      status = readFileSync(`${proc}/${pid}/status`, 'utf8');
    } catch {
      continue;
    }
    const uid = /\nUid:\s+(\d+)\s+(\d+)/.exec(status);
    const threads = /\nThreads:\s+(\d+)/.exec(status);
    if (!uid) continue;
    const p: ProcessUsage = {
      pid: Number(pid),
      name: /^Name:\s*(.{0,64})/.exec(status)?.[1]?.trim() ?? '?',
      realUid: Number(uid[1]),
      effectiveUid: Number(uid[2]),
      threads: threads ? Number(threads[1]) : 1,
      inotifyInstances: 0,
      inotifyWatches: 0,
    };
    try {
      const m = /\nMax processes\s+(\S+)/.exec('\n' + readFileSync(`${proc}/${pid}/limits`, 'utf8'));
      if (m) p.nprocSoft = m[1] === 'unlimited' ? null : Number(m[1]);
    } catch {
      // kernel threads and exited processes: limits unknown
    }
    if (links < MAX_FD_LINKS) {
      let fds: string[] = [];
      try {
        fds = readdirSync(`${proc}/${pid}/fd`);
      } catch {
        // another user's process without CAP_SYS_PTRACE: not countable
      }
      for (const fd of fds) {
        if (++links > MAX_FD_LINKS) {
          partial.push(`/proc/*/fd: more than ${MAX_FD_LINKS} descriptors; inotify counts are partial.`);
          break;
        }
        try {
          if (readlinkSync(`${proc}/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
        } catch {
          continue;
        }
        p.inotifyInstances++;
        try {
          const info = readFileSync(`${proc}/${pid}/fdinfo/${fd}`, 'utf8');
          p.inotifyWatches += info.split('\ninotify wd:').length - 1;
        } catch {
          // closed meanwhile
        }
      }
    }
    processes.push(p);
  }
  return { processes, partial };
}
