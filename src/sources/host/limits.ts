// node.limits of the contract: every limit the node shows, with how much of it is used. Node-wide
// limits (pid_max, threads-max, file-max), each pids and memory cgroup level with a finite limit, and
// on a live root the per-user limits (RLIMIT_NPROC tasks per real UID, inotify per effective UID).
import type { CgroupLevel, Evidence, LimitUsage, NodeFacts } from '../../evidence/types.js';
import type { LiveUsage, ProcessUsage } from './live-usage.js';

const TOP = 5;

export function ratioOf(used: number | null, max: number | null): number | null {
  if (used === null || max === null || max <= 0) return null;
  return Math.round((used / max) * 1000) / 1000;
}

function limit(
  id: string,
  scope: string,
  used: number | null,
  max: number | null,
  evidence: Evidence[],
  extra: Partial<LimitUsage> = {},
): LimitUsage {
  return { id, scope, used, max, ratio: ratioOf(used, max), evidence, ...extra };
}

export function buildLimits(node: Omit<NodeFacts, 'limits'>, live: LiveUsage | undefined): LimitUsage[] {
  const out: LimitUsage[] = [];
  const holders = live ? topBy(live.processes, (p) => p.threads) : undefined;
  const withHolders = holders && holders.length > 0 ? { topConsumers: holders } : {};
  if (node.pidMax) {
    // Each task holds one PID: the task count stands for PIDs in use (kubelet does the same, limits.md §2.5).
    const ev = [node.pidMax.evidence, ...(node.tasks ? [node.tasks.evidence] : [])];
    out.push(limit('kernel.pid_max', 'node', node.tasks?.value ?? null, node.pidMax.value, ev, withHolders));
  }
  if (node.threadsMax) {
    const ev = [node.threadsMax.evidence, ...(node.tasks ? [node.tasks.evidence] : [])];
    out.push(
      limit('kernel.threads-max', 'node', node.tasks?.value ?? null, node.threadsMax.value, ev, withHolders),
    );
  }
  if (node.fileMax) {
    // file-max of LONG_MAX (newer kernels' default) is no limit at all.
    const max = node.fileMax.value >= Number.MAX_SAFE_INTEGER ? null : node.fileMax.value;
    const ev = [node.fileMax.evidence, ...(node.filesAllocated ? [node.filesAllocated.evidence] : [])];
    out.push(limit('fs.file-max', 'node', node.filesAllocated?.value ?? null, max, ev));
  }
  for (const lvl of node.cgroupChains ?? []) {
    if (lvl.max === undefined || lvl.max === null) continue;
    out.push(cgroupLimit(lvl));
  }
  if (live) out.push(...perUidLimits(node, live));
  return out;
}

function cgroupLimit(lvl: CgroupLevel): LimitUsage {
  const id = lvl.controller === 'pids' ? 'cgroup.pids' : 'memory.cgroup';
  return limit(id, `cgroup:${lvl.path}`, lvl.current ?? null, lvl.max ?? null, lvl.evidence, {
    ...(lvl.peak !== undefined ? { peak: lvl.peak } : {}),
    ...(lvl.events !== undefined ? { events: lvl.events } : {}),
  });
}

function perUidLimits(node: Omit<NodeFacts, 'limits'>, live: LiveUsage): LimitUsage[] {
  const out: LimitUsage[] = [];
  const scan: Evidence = {
    source: '/proc/*/status',
    text: `${live.processes.length} processes read${live.partial.length ? ` (${live.partial.join(' ')})` : ''}`,
  };
  const byReal = groupBy(live.processes, (p) => p.realUid);
  for (const [uid, procs] of [...byReal].sort((a, b) => a[0] - b[0])) {
    const tasks = procs.reduce((n, p) => n + p.threads, 0);
    // The limit that bites first is the lowest soft limit among this UID's processes (each checks its own).
    const finite = procs.filter((p) => typeof p.nprocSoft === 'number') as (ProcessUsage & {
      nprocSoft: number;
    })[];
    const lowest = finite.sort((a, b) => a.nprocSoft - b.nprocSoft)[0];
    // Real UID 0 outside a user namespace is INIT_USER: copy_process() never applies RLIMIT_NPROC to it
    // (torvalds/linux:kernel/fork.c), so its headroom is unlimited whatever "Max processes" says.
    const exempt = uid === 0 ? '; RLIMIT_NPROC is not enforced for real UID 0, so no maximum applies' : '';
    const ev: Evidence[] = [
      {
        ...scan,
        text: `${tasks} tasks (threads included) in ${procs.length} processes with real UID ${uid}${exempt}`,
      },
    ];
    let max: number | null = lowest?.nprocSoft ?? null;
    if (uid === 0) {
      max = null;
    } else if (lowest) {
      ev.push({
        source: `/proc/${lowest.pid}/limits`,
        text: `Max processes ${lowest.nprocSoft} (soft, ${lowest.name})`,
      });
    }
    out.push(
      limit('rlimit.nproc', `uid:${uid}`, tasks, max, ev, { topConsumers: topBy(procs, (p) => p.threads) }),
    );
  }
  const byEffective = groupBy(
    live.processes.filter((p) => p.inotifyInstances > 0),
    (p) => p.effectiveUid,
  );
  for (const [uid, procs] of [...byEffective].sort((a, b) => a[0] - b[0])) {
    const instances = procs.reduce((n, p) => n + p.inotifyInstances, 0);
    const watches = procs.reduce((n, p) => n + p.inotifyWatches, 0);
    const ev: Evidence = {
      source: '/proc/*/fd',
      text: `${instances} anon_inode:inotify descriptors, ${watches} watches, effective UID ${uid}`,
    };
    if (node.inotifyMaxUserInstances) {
      out.push(
        limit(
          'inotify.instances',
          `uid:${uid}`,
          instances,
          node.inotifyMaxUserInstances.value,
          [node.inotifyMaxUserInstances.evidence, ev],
          {
            topConsumers: topBy(procs, (p) => p.inotifyInstances),
          },
        ),
      );
    }
    if (node.inotifyMaxUserWatches) {
      out.push(
        limit(
          'inotify.watches',
          `uid:${uid}`,
          watches,
          node.inotifyMaxUserWatches.value,
          [node.inotifyMaxUserWatches.evidence, ev],
          {
            topConsumers: topBy(procs, (p) => p.inotifyWatches),
          },
        ),
      );
    }
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

function topBy(procs: ProcessUsage[], used: (p: ProcessUsage) => number): { name: string; used: number }[] {
  return [...procs]
    .sort((a, b) => used(b) - used(a))
    .slice(0, TOP)
    .filter((p) => used(p) > 0)
    .map((p) => ({ name: `${p.name}[${p.pid}]`, used: used(p) }));
}
