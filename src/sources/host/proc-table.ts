// The node's process table, read once from <root>/proc through the host root (one reader for
// `podmortem node`, `analyze --node-root` and the limits table alike): for every process its real and effective
// UID, thread count, state, pids and memory cgroups, RLIMIT_NPROC/NOFILE, open files and inotify
// instances and watches. From it come the counts an expert computes by hand (limits.md §4.1):
// tasks per real UID node-wide (threads and zombies included: both stay charged until reaped),
// inotify per UID, the holders of each limit.
//
// Cost: four small reads per process plus one readlink per open file, all synchronous (procfs
// reads never block, and sync calls avoid the thread-pool round trip that dominates for thousands
// of tiny files); HostRoot checks a path below a live procfs with one lstat, not one per component. `ps -eLf` reads stat, status and cmdline for every *thread*; we read per
// *process* and take the thread count from status, so 10,000 threads in 100 processes cost 100
// reads here. The per-UID count is exact unless a thread changed its own UID with a raw setuid
// syscall (glibc applies set*id to all threads: nptl's SIGSETXID broadcast).
import { parseLimits, parseStatus } from './proc-files.js';
import type { HostRoot } from './root.js';

export interface ProcEntry {
  pid: number;
  comm: string;
  state: string;
  realUid: number;
  effectiveUid: number;
  threads: number;
  /** Path in the pids hierarchy as /proc/<pid>/cgroup prints it (v1 "pids" line, or the v2 "0::" line). */
  pidsCgroup?: string;
  memoryCgroup?: string;
  nprocSoft?: number | null;
  nofileSoft?: number | null;
  /** Open file descriptors (undefined when fd/ could not be listed). */
  fds?: number;
  inotifyInstances: number;
  inotifyWatches: number;
}

export interface UidCount {
  uid: number;
  tasks: number;
  processes: number;
  zombies: number;
}

export interface ProcTable {
  /** Where it was read (host path as the node sees it). */
  source: string;
  processes: ProcEntry[];
  /** Sum of every process's threads (what /proc/loadavg calls nr_threads, minus the races). */
  totalTasks: number;
  zombies: number;
  /** Per real UID: tasks (threads) node-wide. */
  byRealUid: Map<number, UidCount>;
  /** Per effective UID: inotify instances and watches (the inotify ucounts, limits.md §5.2). */
  inotifyByUid: Map<number, { instances: number; watches: number }>;
  /** Processes that vanished or could not be read while walking (normal churn). */
  skipped: number;
  /** Sentences for counts that are partial (more processes than read). */
  partial: string[];
}

export interface ProcTableOptions {
  /** Also list /proc/<pid>/fd (open files, inotify). Default true. */
  fds?: boolean;
}

/** Most fds a process is inspected for; counting continues beyond it, readlink stops (bounded time). */
const MAX_FDS_INSPECTED = 65_536;

/** Processes read at most: a node beyond this is counted partially, and says so. */
const MAX_PROCESSES = 200_000;

/**
 * Walks the node's /proc under the root. Undefined when the root has no process table (a snapshot
 * without /proc/<pid> folders). Never throws: a process that exits mid-walk is skipped and counted.
 */
export function readProcTable(root: HostRoot, opts: ProcTableOptions = {}): ProcTable | undefined {
  const withFds = opts.fds ?? true;
  const names = root.list('/proc', { quiet: true })?.filter((n) => /^\d{1,10}$/.test(n));
  if (!names || names.length === 0) return undefined;
  const table: ProcTable = {
    source: '/proc',
    processes: [],
    totalTasks: 0,
    zombies: 0,
    byRealUid: new Map(),
    inotifyByUid: new Map(),
    skipped: 0,
    partial: [],
  };
  if (names.length > MAX_PROCESSES)
    table.partial.push(`/proc: ${names.length} processes; only the first ${MAX_PROCESSES} were read.`);
  for (const name of names.slice(0, MAX_PROCESSES)) {
    const entry = readProcess(root, Number(name), withFds);
    if (!entry) {
      table.skipped++;
      continue;
    }
    table.processes.push(entry);
    table.totalTasks += entry.threads;
    const u = table.byRealUid.get(entry.realUid) ?? {
      uid: entry.realUid,
      tasks: 0,
      processes: 0,
      zombies: 0,
    };
    u.tasks += entry.threads;
    u.processes++;
    if (entry.state === 'Z') {
      u.zombies++;
      table.zombies++;
    }
    table.byRealUid.set(entry.realUid, u);
    if (entry.inotifyInstances > 0) {
      const i = table.inotifyByUid.get(entry.effectiveUid) ?? { instances: 0, watches: 0 };
      i.instances += entry.inotifyInstances;
      i.watches += entry.inotifyWatches;
      table.inotifyByUid.set(entry.effectiveUid, i);
    }
  }
  return table;
}

export function readProcess(root: HostRoot, pid: number, withFds: boolean): ProcEntry | undefined {
  const dir = `/proc/${pid}`;
  const statusText = root.readSmall(`${dir}/status`);
  if (statusText === undefined) return undefined;
  const st = parseStatus(statusText);
  if (!st) return undefined;
  const entry: ProcEntry = {
    pid,
    comm: st.name,
    state: st.state,
    realUid: st.realUid,
    effectiveUid: st.effectiveUid,
    threads: st.threads,
    inotifyInstances: 0,
    inotifyWatches: 0,
  };
  const cg = root.readSmall(`${dir}/cgroup`);
  if (cg !== undefined) Object.assign(entry, cgroupsOf(cg));
  const lim = root.readSmall(`${dir}/limits`);
  if (lim !== undefined) {
    const rows = parseLimits(lim);
    const nproc = rows.get('Max processes');
    const nofile = rows.get('Max open files');
    if (nproc) entry.nprocSoft = nproc.soft;
    if (nofile) entry.nofileSoft = nofile.soft;
  }
  if (withFds && st.state !== 'Z') countFds(root, dir, entry);
  return entry;
}

/** The pids and memory paths of a /proc/<pid>/cgroup text (v1 lines "N:pids:/path", v2 "0::/path"). */
export function cgroupsOf(text: string): Pick<ProcEntry, 'pidsCgroup' | 'memoryCgroup'> {
  let pids: string | undefined;
  let memory: string | undefined;
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (controllers === '') unified = path;
    else {
      const list = controllers.split(',');
      if (list.includes('pids')) pids = path;
      if (list.includes('memory')) memory = path;
    }
  }
  // On a pure v2 node only the "0::" line exists and it serves every controller.
  const out: Pick<ProcEntry, 'pidsCgroup' | 'memoryCgroup'> = {};
  const p = pids ?? (memory === undefined ? unified : undefined);
  const m = memory ?? (pids === undefined ? unified : undefined);
  if (p !== undefined) out.pidsCgroup = p;
  if (m !== undefined) out.memoryCgroup = m;
  return out;
}

function countFds(root: HostRoot, dir: string, entry: ProcEntry): void {
  const fds = root.list(`${dir}/fd`, { quiet: true });
  if (!fds) return; // EACCES (not root) or the process is gone: fds unknown, not zero
  entry.fds = fds.length;
  const n = Math.min(fds.length, MAX_FDS_INSPECTED);
  for (let i = 0; i < n; i++) {
    if (root.readLink(`${dir}/fd/${fds[i]}`) !== 'anon_inode:inotify') continue;
    entry.inotifyInstances++;
    // fdinfo of an inotify fd lists one "inotify wd:" line per watch (linux:fs/notify/fdinfo.c).
    const info = root.readSmall(`${dir}/fdinfo/${fds[i]}`);
    if (info !== undefined) {
      let at = info.indexOf('inotify wd:');
      while (at !== -1) {
        entry.inotifyWatches++;
        at = info.indexOf('inotify wd:', at + 1);
      }
    }
  }
}
