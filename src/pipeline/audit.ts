// The headroom audit: every limit of the node, used against its maximum, who holds most of it, and a
// warning when it is close, so the node that will crash next is visible before it does. Limits and
// how usage is counted follow limits.md: pid_max and threads-max against the node's task count
// (§1.4), RLIMIT_NPROC against the tasks of a real UID node-wide (root exempt, §1.2), pids and memory
// cgroups (§1.3, §5.3), inotify per user (§5.2), RLIMIT_NOFILE per process and file-max (§5.1).
import type { LimitUsage, NodeFacts } from '../evidence/types.js';
import type { LimitedCgroup } from '../sources/live/cgroup-walk.js';
import type { DaemonFacts } from '../sources/live/daemons.js';
import type { ProcEntry, ProcTable } from '../sources/live/proc-table.js';

/** At or above this share of a limit, the audit warns. */
export const WARN_RATIO = 0.8;
/** Per-process and per-cgroup entries kept besides those above WARN_RATIO (the contract wants one per scope, a node has thousands). */
const KEEP_TOP = 10;
const TOP_CONSUMERS = 5;

export interface AuditInput {
  node: NodeFacts;
  procs?: ProcTable;
  cgroups: LimitedCgroup[];
  /** pod UID -> "namespace/pod", to name consumers. */
  podNames: Map<string, string>;
  daemons: DaemonFacts[];
}

export interface Audit {
  limits: LimitUsage[];
  /** One sentence per limit at or above WARN_RATIO, or hit according to the kernel's own counters. */
  warnings: string[];
}

function ratio(used: number | null, max: number | null): number | null {
  if (used === null || max === null || max <= 0) return null;
  return Math.round((used / max) * 1000) / 1000;
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
  return [...items].sort((a, b) => value(b) - value(a)).slice(0, n);
}

/** Top holders of tasks: pods first (summed over their processes), then processes outside pods. */
function taskConsumers(procs: ProcEntry[], podNames: Map<string, string>): { name: string; used: number }[] {
  const byHolder = new Map<string, number>();
  for (const p of procs) {
    const holder = podOfCgroup(p.pidsCgroup, podNames) ?? `pid ${p.pid} (${p.comm})`;
    byHolder.set(holder, (byHolder.get(holder) ?? 0) + p.threads);
  }
  return top([...byHolder], ([, v]) => v).map(([name, used]) => ({ name, used }));
}

function entry(
  id: string,
  scope: string,
  used: number | null,
  max: number | null,
  extra: Partial<LimitUsage> = {},
): LimitUsage {
  return { id, scope, used, max, ratio: ratio(used, max), evidence: [], ...extra };
}

export function audit(input: AuditInput): Audit {
  const { node, procs, podNames } = input;
  const limits: LimitUsage[] = [];
  const warnings: string[] = [];
  const processes = procs?.processes ?? [];

  // Node-wide task ceilings: both compare nr_threads (loadavg field 4) with their sysctl.
  const tasks = node.tasks?.value ?? procs?.totalTasks ?? null;
  const taskEvidence = node.tasks
    ? [node.tasks.evidence]
    : procs
      ? [{ source: '/proc/*/status', text: `${procs.totalTasks} tasks (Threads: summed)` }]
      : [];
  const consumers = processes.length > 0 ? taskConsumers(processes, podNames) : undefined;
  if (node.pidMax) {
    limits.push(
      entry('kernel.pid_max', 'node', tasks, node.pidMax.value, {
        evidence: [node.pidMax.evidence, ...taskEvidence],
        ...(consumers ? { topConsumers: consumers } : {}),
      }),
    );
  }
  if (node.threadsMax) {
    limits.push(
      entry('kernel.threads-max', 'node', tasks, node.threadsMax.value, {
        evidence: [node.threadsMax.evidence, ...taskEvidence],
        ...(consumers ? { topConsumers: consumers } : {}),
      }),
    );
  }
  if (node.fileMax && node.filesAllocated) {
    const fdHolders = top(
      processes.filter((p) => p.fds !== undefined),
      (p) => p.fds!,
    ).map((p) => ({ name: processName(p, podNames), used: p.fds! }));
    limits.push(
      entry('fs.file-max', 'node', node.filesAllocated.value, node.fileMax.value, {
        evidence: [node.fileMax.evidence, node.filesAllocated.evidence],
        ...(fdHolders.length ? { topConsumers: fdHolders } : {}),
      }),
    );
  }

  // RLIMIT_NPROC per real UID: the count is the UID's tasks node-wide; the limit each task checks is
  // its own soft limit, so the tightest one among the UID's processes fails first. Root is exempt.
  if (procs) {
    const byUid = new Map<number, ProcEntry[]>();
    for (const p of processes) {
      const list = byUid.get(p.realUid) ?? [];
      list.push(p);
      byUid.set(p.realUid, list);
    }
    for (const [uid, list] of [...byUid].sort((a, b) => a[0] - b[0])) {
      if (uid === 0) continue; // INIT_USER: RLIMIT_NPROC is never enforced (limits.md §1.2)
      const count = procs.byRealUid.get(uid);
      const softs = list.map((p) => p.nprocSoft).filter((v): v is number => typeof v === 'number');
      const max = softs.length > 0 ? Math.min(...softs) : null;
      const zombies = count?.zombies ?? 0;
      limits.push(
        entry('rlimit.nproc', `uid:${uid}`, count?.tasks ?? 0, max, {
          evidence: [
            {
              source: '/proc/*/status (Uid, Threads)',
              text: `${count?.tasks ?? 0} tasks of real UID ${uid} in ${list.length} processes${zombies ? `, ${zombies} zombie(s)` : ''}`,
            },
            ...(max !== null
              ? [
                  {
                    source: `/proc/${list.find((p) => p.nprocSoft === max)!.pid}/limits`,
                    text: `Max processes ${max}`,
                  },
                ]
              : []),
          ],
          topConsumers: top(list, (p) => p.threads).map((p) => ({
            name: processName(p, podNames),
            used: p.threads,
          })),
        }),
      );
    }
    // inotify instances and watches per (effective) user: one counter shared by every container of the UID, root included.
    for (const [uid, use] of [...procs.inotifyByUid].sort((a, b) => a[0] - b[0])) {
      const holders = top(
        processes.filter((p) => p.effectiveUid === uid && p.inotifyInstances > 0),
        (p) => p.inotifyInstances,
      );
      const ev = {
        source: '/proc/*/fd (anon_inode:inotify)',
        text: `${use.instances} inotify instances, ${use.watches} watches held by UID ${uid}`,
      };
      if (node.inotifyMaxUserInstances) {
        limits.push(
          entry('inotify.instances', `uid:${uid}`, use.instances, node.inotifyMaxUserInstances.value, {
            evidence: [node.inotifyMaxUserInstances.evidence, ev],
            topConsumers: holders.map((p) => ({ name: processName(p, podNames), used: p.inotifyInstances })),
          }),
        );
      }
      if (node.inotifyMaxUserWatches) {
        limits.push(
          entry('inotify.watches', `uid:${uid}`, use.watches, node.inotifyMaxUserWatches.value, {
            evidence: [node.inotifyMaxUserWatches.evidence, ev],
            topConsumers: top(holders, (p) => p.inotifyWatches).map((p) => ({
              name: processName(p, podNames),
              used: p.inotifyWatches,
            })),
          }),
        );
      }
    }
    // RLIMIT_NOFILE per process: only the fullest ones (and every one above the warning line).
    const withFiles = processes.filter(
      (p) => p.fds !== undefined && typeof p.nofileSoft === 'number' && p.nofileSoft > 0,
    );
    const sorted = top(withFiles, (p) => p.fds! / (p.nofileSoft as number), withFiles.length);
    sorted.forEach((p, i) => {
      const r = p.fds! / (p.nofileSoft as number);
      if (i >= KEEP_TOP && r < WARN_RATIO) return;
      limits.push(
        entry('rlimit.nofile', `process:${p.pid}`, p.fds!, p.nofileSoft as number, {
          evidence: [
            { source: `/proc/${p.pid}/fd`, text: `${p.fds} open files (${processName(p, podNames)})` },
            { source: `/proc/${p.pid}/limits`, text: `Max open files ${p.nofileSoft}` },
          ],
        }),
      );
    });
  }

  // Limited cgroups: every pids and memory limit set anywhere (container, pod, QoS, units).
  const cgroupEntries: LimitUsage[] = [];
  for (const c of input.cgroups) {
    const id = c.controller === 'pids' ? 'cgroup.pids' : 'memory.cgroup';
    const under = processes.filter((p) => {
      const path = c.controller === 'pids' ? p.pidsCgroup : p.memoryCgroup;
      return path !== undefined && (path === c.path || path.startsWith(c.path + '/'));
    });
    const holders =
      c.controller === 'pids'
        ? top(under, (p) => p.threads).map((p) => ({ name: processName(p, podNames), used: p.threads }))
        : [];
    cgroupEntries.push(
      entry(id, `cgroup:${c.path}`, c.current ?? null, c.max, {
        evidence: c.evidence,
        ...(c.peak !== undefined ? { peak: c.peak } : {}),
        ...(c.events !== undefined ? { events: c.events } : {}),
        ...(holders.length ? { topConsumers: holders } : {}),
      }),
    );
  }
  // Keep the fullest cgroups, every one near or at its limit, and every one whose counters say it was hit.
  const byRatio = [...cgroupEntries].sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0));
  const kept = byRatio.filter(
    (l, i) =>
      i < KEEP_TOP * 5 ||
      (l.ratio ?? 0) >= WARN_RATIO ||
      (l.events ?? 0) > 0 ||
      (l.peak !== undefined && l.peak !== null && l.peak >= (l.max ?? Infinity)),
  );
  limits.push(...kept);

  for (const l of limits) {
    const hitByCounter = (l.events ?? 0) > 0;
    const peakAtMax = l.peak !== undefined && l.peak !== null && l.max !== null && l.peak >= l.max;
    if ((l.ratio ?? 0) >= 1 || hitByCounter || peakAtMax) {
      const how =
        (l.ratio ?? 0) >= 1
          ? `is at its limit (${l.used}/${l.max})`
          : hitByCounter
            ? `was hit ${l.events} time(s) (kernel counter), now ${l.used}/${l.max}`
            : `peaked at its limit (${l.peak}/${l.max}), now ${l.used}`;
      warnings.push(`${l.id} ${l.scope} ${how}.`);
    } else if ((l.ratio ?? 0) >= WARN_RATIO) {
      warnings.push(
        `${l.id} ${l.scope} is close to its limit: ${l.used}/${l.max} (${Math.round((l.ratio ?? 0) * 100)}%).`,
      );
    }
  }
  return { limits, warnings };
}
