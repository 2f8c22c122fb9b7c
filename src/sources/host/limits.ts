// node.limits of the contract, built once for every command: each limit of the node with how much of
// it is used and, where the node shows it, who holds most of it. How usage is counted follows
// limits.md: pid_max and threads-max against the node's task count (§1.4; each task holds one PID,
// as the kubelet counts it, §2.5), RLIMIT_NPROC against the tasks of a real UID node-wide (§1.2; real
// UID 0 outside a user namespace is exempt, so its max is null), pids and memory cgroups with a finite
// limit (§1.3, §5.3), inotify instances and watches per effective UID (§5.2), RLIMIT_NOFILE per
// process and fs.file-max for the node (§5.1). Every entry is usage of the node *now*.
import type { CgroupLevel, Evidence, LimitUsage, NodeFacts } from '../../evidence/types.js';
import { HEADROOM_WARN_RATIO as WARN_RATIO } from '../../evidence/headroom.js';
import type { ProcEntry, ProcTable } from './proc-table.js';

/** Per-process and per-cgroup entries kept besides those above WARN_RATIO (the contract wants one per scope; a node has thousands). */
const KEEP_PROCESSES = 10;
const KEEP_CGROUPS = 50;
const TOP_CONSUMERS = 5;
/** fs.file-max of LONG_MAX (newer kernels' default) is no limit at all. */
const UNLIMITED_FILE_MAX = Number.MAX_SAFE_INTEGER;

export interface LimitsInput {
  node: Omit<NodeFacts, 'limits'>;
  procs?: ProcTable;
  /** Every limited cgroup of the node (the walk), besides the pod chains already in node.cgroupChains. */
  limitedCgroups: CgroupLevel[];
  /** pod UID -> "namespace/pod", to name consumers. */
  podNames: Map<string, string>;
}

export function ratioOf(used: number | null, max: number | null): number | null {
  if (used === null || max === null || max <= 0) return null;
  return Math.round((used / max) * 1000) / 1000;
}

function entry(
  id: string,
  scope: string,
  used: number | null,
  max: number | null,
  evidence: Evidence[],
  extra: Partial<LimitUsage> = {},
): LimitUsage {
  return { id, scope, used, max, ratio: ratioOf(used, max), evidence, ...extra };
}

const POD_IN_PATH = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

/** "namespace/pod" for a cgroup path under kubepods, or undefined. */
export function podOfCgroup(path: string | undefined, podNames: Map<string, string>): string | undefined {
  if (!path) return undefined;
  const m = POD_IN_PATH.exec(path);
  if (!m) return undefined;
  const uid = m[1]!.replace(/_/g, '-');
  return podNames.get(uid) ?? `pod ${uid}`;
}

function processName(p: ProcEntry, podNames: Map<string, string>): string {
  const pod = podOfCgroup(p.pidsCgroup ?? p.memoryCgroup, podNames);
  return `pid ${p.pid} (${p.comm}${pod ? `, ${pod}` : ''})`;
}

function top<T>(items: T[], value: (t: T) => number, n = TOP_CONSUMERS): T[] {
  return [...items]
    .filter((t) => value(t) > 0)
    .sort((a, b) => value(b) - value(a))
    .slice(0, n);
}

/** Top holders of tasks: pods (summed over their processes), and processes outside pods. */
function taskConsumers(procs: ProcEntry[], podNames: Map<string, string>): { name: string; used: number }[] {
  const byHolder = new Map<string, number>();
  for (const p of procs) {
    const holder = podOfCgroup(p.pidsCgroup, podNames) ?? `pid ${p.pid} (${p.comm})`;
    byHolder.set(holder, (byHolder.get(holder) ?? 0) + p.threads);
  }
  return top([...byHolder], ([, v]) => v).map(([name, used]) => ({ name, used }));
}

export function buildLimits(input: LimitsInput): LimitUsage[] {
  const { node, procs, podNames } = input;
  const out: LimitUsage[] = [];
  const processes = procs?.processes ?? [];

  // Node-wide task ceilings: both compare nr_threads (loadavg field 4) with their sysctl.
  const tasks: { value: number; evidence: Evidence } | undefined =
    node.tasks ??
    (procs
      ? {
          value: procs.totalTasks,
          evidence: { source: '/proc/*/status', text: `${procs.totalTasks} tasks (Threads: summed)` },
        }
      : undefined);
  const holders = processes.length > 0 ? { topConsumers: taskConsumers(processes, podNames) } : {};
  for (const [id, fact] of [
    ['kernel.pid_max', node.pidMax],
    ['kernel.threads-max', node.threadsMax],
  ] as const) {
    if (!fact) continue;
    out.push(
      entry(
        id,
        'node',
        tasks?.value ?? null,
        fact.value,
        [fact.evidence, ...(tasks ? [tasks.evidence] : [])],
        holders,
      ),
    );
  }
  if (node.fileMax) {
    const max = node.fileMax.value >= UNLIMITED_FILE_MAX ? null : node.fileMax.value;
    const fdHolders = top(processes, (p) => p.fds ?? 0).map((p) => ({
      name: processName(p, podNames),
      used: p.fds!,
    }));
    out.push(
      entry(
        'fs.file-max',
        'node',
        node.filesAllocated?.value ?? null,
        max,
        [node.fileMax.evidence, ...(node.filesAllocated ? [node.filesAllocated.evidence] : [])],
        fdHolders.length > 0 ? { topConsumers: fdHolders } : {},
      ),
    );
  }
  if (procs) out.push(...perUid(node, procs, podNames), ...perProcessFiles(processes, podNames));
  out.push(...cgroupLimits(node.cgroupChains ?? [], input.limitedCgroups, processes, podNames));
  return out;
}

/** How inotify was counted when a long-lived reader's walk reused the descriptors it had seen (FdMemo). */
const REMEMBERED =
  ' (descriptors read as links again only for a process whose descriptor list changed since the last read, and for every process at least every 10 minutes)';

/** RLIMIT_NPROC per real UID, inotify per effective UID: one counter shared by every container of that UID. */
function perUid(node: LimitsInput['node'], procs: ProcTable, podNames: Map<string, string>): LimitUsage[] {
  const out: LimitUsage[] = [];
  const byReal = groupBy(procs.processes, (p) => p.realUid);
  const partial = procs.partial.length > 0 ? ` (${procs.partial.join(' ')})` : '';
  for (const [uid, list] of [...byReal].sort((a, b) => a[0] - b[0])) {
    const count = procs.byRealUid.get(uid);
    const tasks = count?.tasks ?? 0;
    const zombies = count?.zombies ?? 0;
    // Each task checks its own soft limit: the lowest among the UID's processes fails first.
    const lowest = list
      .filter((p): p is ProcEntry & { nprocSoft: number } => typeof p.nprocSoft === 'number')
      .sort((a, b) => a.nprocSoft - b.nprocSoft)[0];
    // Real UID 0 outside a user namespace is INIT_USER: copy_process() never applies RLIMIT_NPROC to it
    // (torvalds/linux:kernel/fork.c), so no maximum applies whatever "Max processes" says.
    const exempt = uid === 0 ? '; RLIMIT_NPROC is not enforced for real UID 0, so no maximum applies' : '';
    const ev: Evidence[] = [
      {
        source: '/proc/*/status (Uid, Threads)',
        text: `${tasks} tasks (threads included) of real UID ${uid} in ${list.length} processes${zombies ? `, ${zombies} zombie(s)` : ''}${exempt}${partial}`,
      },
    ];
    const max = uid === 0 ? null : (lowest?.nprocSoft ?? null);
    if (uid !== 0 && lowest)
      ev.push({
        source: `/proc/${lowest.pid}/limits`,
        text: `Max processes ${lowest.nprocSoft} (soft, ${lowest.comm})`,
      });
    out.push(
      entry('rlimit.nproc', `uid:${uid}`, tasks, max, ev, {
        topConsumers: top(list, (p) => p.threads).map((p) => ({
          name: processName(p, podNames),
          used: p.threads,
        })),
      }),
    );
  }
  for (const [uid, use] of [...procs.inotifyByUid].sort((a, b) => a[0] - b[0])) {
    const holders = procs.processes.filter((p) => p.effectiveUid === uid && p.inotifyInstances > 0);
    const ev: Evidence = {
      source: '/proc/*/fd (anon_inode:inotify)',
      text: `${use.instances} inotify instances, ${use.watches} watches held by effective UID ${uid}${procs.fdsRemembered ? REMEMBERED : ''}`,
    };
    for (const [id, fact, used, per] of [
      [
        'inotify.instances',
        node.inotifyMaxUserInstances,
        use.instances,
        (p: ProcEntry) => p.inotifyInstances,
      ],
      ['inotify.watches', node.inotifyMaxUserWatches, use.watches, (p: ProcEntry) => p.inotifyWatches],
    ] as const) {
      if (!fact) continue;
      out.push(
        entry(id, `uid:${uid}`, used, fact.value, [fact.evidence, ev], {
          topConsumers: top(holders, per).map((p) => ({ name: processName(p, podNames), used: per(p) })),
        }),
      );
    }
  }
  return out;
}

/** RLIMIT_NOFILE per process: the fullest ones, and every one at or above the warning line. */
function perProcessFiles(processes: ProcEntry[], podNames: Map<string, string>): LimitUsage[] {
  const withFiles = processes.filter(
    (p): p is ProcEntry & { fds: number; nofileSoft: number } =>
      p.fds !== undefined && typeof p.nofileSoft === 'number' && p.nofileSoft > 0,
  );
  return withFiles
    .sort((a, b) => b.fds / b.nofileSoft - a.fds / a.nofileSoft || a.pid - b.pid)
    .filter((p, i) => i < KEEP_PROCESSES || p.fds / p.nofileSoft >= WARN_RATIO)
    .map((p) =>
      entry('rlimit.nofile', `process:${p.pid}`, p.fds, p.nofileSoft, [
        { source: `/proc/${p.pid}/fd`, text: `${p.fds} open files (${processName(p, podNames)})` },
        { source: `/proc/${p.pid}/limits`, text: `Max open files ${p.nofileSoft}` },
      ]),
    );
}

/**
 * Every finite pids and memory limit: the pod chains read for the crashed containers, and the walk
 * of the whole node (kept: the fullest, those near their limit, and those whose counters say they
 * were hit). One entry per scope.
 */
function cgroupLimits(
  chains: CgroupLevel[],
  walked: CgroupLevel[],
  processes: ProcEntry[],
  podNames: Map<string, string>,
): LimitUsage[] {
  const byScope = new Map<string, { lvl: CgroupLevel; fromChain: boolean }>();
  for (const lvl of walked) byScope.set(`${lvl.controller}:${lvl.path}`, { lvl, fromChain: false });
  for (const lvl of chains) {
    if (lvl.max === undefined || lvl.max === null) continue;
    byScope.set(`${lvl.controller}:${lvl.path}`, { lvl, fromChain: true });
  }
  const inPidsCgroup = processesByAncestor(processes);
  const entries = [...byScope.values()].map(({ lvl, fromChain }) => {
    const id = lvl.controller === 'pids' ? 'cgroup.pids' : 'memory.cgroup';
    const under = lvl.controller === 'pids' ? (inPidsCgroup.get(lvl.path) ?? []) : [];
    const holders = top(under, (p) => p.threads).map((p) => ({
      name: processName(p, podNames),
      used: p.threads,
    }));
    return {
      fromChain,
      limit: entry(id, `cgroup:${lvl.path}`, lvl.current ?? null, lvl.max ?? null, lvl.evidence, {
        ...(lvl.peak !== undefined ? { peak: lvl.peak } : {}),
        ...(lvl.events !== undefined ? { events: lvl.events } : {}),
        ...(holders.length > 0 ? { topConsumers: holders } : {}),
      }),
    };
  });
  const hit = (l: LimitUsage): boolean =>
    (l.events ?? 0) > 0 || (l.peak !== undefined && l.peak !== null && l.max !== null && l.peak >= l.max);
  return entries
    .sort(
      (a, b) =>
        (b.limit.ratio ?? 0) - (a.limit.ratio ?? 0) ||
        a.limit.scope.localeCompare(b.limit.scope) ||
        a.limit.id.localeCompare(b.limit.id),
    )
    .filter((e, i) => e.fromChain || i < KEEP_CGROUPS || (e.limit.ratio ?? 0) >= WARN_RATIO || hit(e.limit))
    .map((e) => e.limit);
}

/**
 * The processes of each pids cgroup and of every cgroup above it, in process order. Filtering the
 * process list once per limited cgroup cost 250 cgroups x 1,000 processes on a node with 250 pods
 * (bench/README-node.md); each process's path has only a few ancestors.
 */
function processesByAncestor(processes: ProcEntry[]): Map<string, ProcEntry[]> {
  const out = new Map<string, ProcEntry[]>();
  const add = (path: string, p: ProcEntry): void => {
    const list = out.get(path);
    if (list) list.push(p);
    else out.set(path, [p]);
  };
  for (const p of processes) {
    const path = p.pidsCgroup;
    if (path === undefined) continue;
    add(path, p);
    // "/a/b/c" is also under "/a/b" and "/a"; the root "/" matches only itself (as startsWith("//") did).
    for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1))
      add(path.slice(0, at), p);
  }
  return out;
}

function groupBy<T>(items: T[], key: (t: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
