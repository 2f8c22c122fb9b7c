// The node's process table, read once from <root>/proc through the host root (one reader for
// `podmortem node`, `analyze --node-root` and the limits table alike): for every process its real and effective
// UID, thread count, state, pids and memory cgroups, RLIMIT_NPROC/NOFILE, open files and inotify
// instances and watches. From it come the counts an expert computes by hand (limits.md §4.1):
// tasks per real UID node-wide (threads and zombies included: both stay charged until reaped),
// inotify per UID, the holders of each limit.
//
// Cost: four small reads per process plus one readlink per open file (the agent's minute read: one
// stat of the fd directory instead, for a process whose descriptors did not change; see FdMemo), all synchronous (procfs
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
  /** true when inotify descriptors were taken from an FdMemo for processes whose descriptors had not changed. */
  fdsRemembered?: boolean;
}

export interface ProcTableOptions {
  /** Also list /proc/<pid>/fd (open files, inotify). Default true. */
  fds?: boolean;
  /**
   * A long-lived reader's memory of the last walk (the agent's minute): descriptor links are read
   * again only for a process whose descriptor list changed. Without it every link is read.
   */
  fdMemo?: FdMemo;
}

/**
 * Each process's descriptors as of the last walk and which of them were inotify instances. Reading
 * every descriptor of every process as a link to find the inotify ones was most of the agent's
 * minute node-limits read (100 containers: 100 shims and their descriptors), two thirds of a walk's
 * CPU. A process with as many descriptors as a minute ago (one stat of its fd directory on Linux
 * 6.2+; elsewhere the same descriptor numbers, from a listing) keeps its instances: only those are
 * read again (link and fdinfo: watches come and go without a new descriptor). What this can miss,
 * descriptors closed and others opened as inotify instances in between, leaving the count the
 * same, is caught when the entry falls due: every process's links are read again at least every
 * REVERIFY_MS. The instances limit is per user (fs.inotify.max_user_instances, 128 by default) and
 * fills by new descriptors, which move the count. An exit's record reads every link (the recorder
 * passes no memo), and so does `podmortem node`.
 */
export class FdMemo {
  private entries = new Map<number, MemoEntry>();
  private next = new Map<number, MemoEntry>();
  /** Processes whose links were read in the last walk, and those taken from the memo. */
  linksRead = 0;
  reused = 0;

  constructor(private readonly reverifyMs = REVERIFY_MS) {}

  /** The remembered inotify descriptors of this process, when its list and name are unchanged and not due. */
  lookup(pid: number, comm: string, list: string, now: number): string[] | undefined {
    const e = this.entries.get(pid);
    if (!e || e.comm !== comm || e.list !== list || now >= e.due) return undefined;
    this.next.set(pid, e);
    this.reused++;
    return e.inotify;
  }

  remember(pid: number, comm: string, list: string, inotify: string[], now: number): void {
    // Spread over half to all of the period, so that the processes of a node booting do not all fall due together.
    const due = now + this.reverifyMs * (0.5 + Math.random() / 2);
    this.next.set(pid, { comm, list, inotify, due });
    this.linksRead++;
  }

  /**
   * Whether a /proc/<pid>/fd directory's size is its descriptor count (a live procfs on Linux 6.2+,
   * checked on the reader's own descriptors, which are never none): then an unchanged process costs
   * one stat, not a listing (a listing of every process was a third of the walk with the links gone).
   */
  sizeCounts: boolean | undefined;

  /** Called at the start of a walk: processes not seen in it are forgotten at its end. */
  begin(root: HostRoot): void {
    this.sizeCounts ??= root.isLive() && (root.sizeOf('/proc/self/fd') ?? 0) > 0;
    this.next = new Map();
    this.linksRead = 0;
    this.reused = 0;
  }

  end(): void {
    this.entries = this.next;
  }
}

interface MemoEntry {
  comm: string;
  /** The descriptor count (where the fd directory's size gives it), else the numbers as listed, joined. */
  list: string;
  /** Those that were inotify instances. */
  inotify: string[];
  due: number;
}

/** Every process's links are read again at least this often (each entry between half and all of it). */
const REVERIFY_MS = 10 * 60_000;

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
  const memo = opts.fdMemo;
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
  if (memo) {
    memo.begin(root);
    table.fdsRemembered = true;
  }
  const now = Date.now();
  for (const name of names.slice(0, MAX_PROCESSES)) {
    const entry = readProcess(root, Number(name), withFds, memo, now);
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
  memo?.end();
  return table;
}

export function readProcess(
  root: HostRoot,
  pid: number,
  withFds: boolean,
  memo?: FdMemo,
  now = Date.now(),
): ProcEntry | undefined {
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
  if (withFds && st.state !== 'Z') countFds(root, dir, entry, memo, now);
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

function countFds(
  root: HostRoot,
  dir: string,
  entry: ProcEntry,
  memo: FdMemo | undefined,
  now: number,
): void {
  if (memo?.sizeCounts) {
    const count = root.sizeOf(`${dir}/fd`);
    if (count === undefined) return; // gone, or not ours to read
    const known = memo.lookup(entry.pid, entry.comm, String(count), now);
    if (known) {
      entry.fds = count;
      rereadInotify(root, dir, known, entry);
      return;
    }
  }
  const fds = root.list(`${dir}/fd`, { quiet: true });
  if (!fds) return; // EACCES (not root) or the process is gone: fds unknown, not zero
  entry.fds = fds.length;
  const list = !memo ? '' : memo.sizeCounts ? String(fds.length) : fds.join(' ');
  const known = memo?.sizeCounts ? undefined : memo?.lookup(entry.pid, entry.comm, list, now);
  if (known) {
    rereadInotify(root, dir, known, entry);
    return;
  }
  const inotify: string[] = [];
  const n = Math.min(fds.length, MAX_FDS_INSPECTED);
  for (let i = 0; i < n; i++) if (countInotify(root, dir, fds[i]!, entry)) inotify.push(fds[i]!);
  memo?.remember(entry.pid, entry.comm, list, inotify, now);
}

/** The same descriptors as at the last walk: only its inotify instances are read again (their watches move). */
function rereadInotify(root: HostRoot, dir: string, known: string[], entry: ProcEntry): void {
  for (const fd of known) countInotify(root, dir, fd, entry);
}

/** true, with the instance and its watches counted, when this descriptor is an inotify instance. */
function countInotify(root: HostRoot, dir: string, fd: string, entry: ProcEntry): boolean {
  if (root.readLink(`${dir}/fd/${fd}`) !== 'anon_inode:inotify') return false;
  entry.inotifyInstances++;
  // fdinfo of an inotify fd lists one "inotify wd:" line per watch (linux:fs/notify/fdinfo.c).
  const info = root.readSmall(`${dir}/fdinfo/${fd}`);
  if (info !== undefined) {
    let at = info.indexOf('inotify wd:');
    while (at !== -1) {
      entry.inotifyWatches++;
      at = info.indexOf('inotify wd:', at + 1);
    }
  }
  return true;
}
