// The runtime daemons and the kubelet: containers inherit their rlimits from the daemon that starts
// them (limits.md §2.2-2.3: systemd unit LimitNPROC/LimitNOFILE -> dockerd/containerd -> shim ->
// runc -> the container), and a daemon unit's TasksMax is a pids cgroup that every shim and exec
// shares (limits.md §4.2, "pids cgroup (daemon unit)"). Found by process name in the process table,
// read through the host root like every other node file.
import type { Evidence } from '../../evidence/types.js';
import { hierarchyOf } from './cgroups.js';
import { parseLimits, type Rlimit } from './proc-files.js';
import type { ProcTable } from './proc-table.js';
import type { HostRoot } from './root.js';

const DAEMONS = new Set(['dockerd', 'containerd', 'crio', 'kubelet', 'podman', 'conmon']);

export interface DaemonFacts {
  name: string;
  pid: number;
  nproc?: Rlimit;
  nofile?: Rlimit;
  /** The daemon's pids cgroup (its systemd unit on systemd hosts). */
  pidsCgroup?: string;
  /** That cgroup's pids.max (null = "max") and pids.current: the unit's TasksMax, shared by every shim it starts. */
  unitPidsMax?: number | null;
  unitPidsCurrent?: number;
  evidence: Evidence[];
}

/** Each daemon found (one per name: the oldest, i.e. lowest PID): its /proc/<pid>/limits and its unit's pids cgroup. */
export function readDaemons(
  root: HostRoot,
  table: ProcTable,
  cgroupVersion: 1 | 2 | undefined,
): DaemonFacts[] {
  const seen = new Set<string>();
  const out: DaemonFacts[] = [];
  for (const p of [...table.processes].sort((a, b) => a.pid - b.pid)) {
    if (!DAEMONS.has(p.comm) || seen.has(p.comm)) continue;
    seen.add(p.comm);
    const d: DaemonFacts = {
      name: p.comm,
      pid: p.pid,
      evidence: [],
      ...(p.pidsCgroup ? { pidsCgroup: p.pidsCgroup } : {}),
    };
    const limits = root.readSmall(`/proc/${p.pid}/limits`);
    if (limits !== undefined) {
      const rows = parseLimits(limits);
      for (const [key, name] of [
        ['nproc', 'Max processes'],
        ['nofile', 'Max open files'],
      ] as const) {
        const row = rows.get(name);
        if (!row) continue;
        d[key] = row;
        d.evidence.push({ source: `/proc/${p.pid}/limits (${p.comm})`, line: row.line, text: row.text });
      }
    }
    if (cgroupVersion && p.pidsCgroup && p.pidsCgroup !== '/') {
      const base = `${hierarchyOf(cgroupVersion, 'pids')}${p.pidsCgroup}`;
      const max = root.readSmall(`${base}/pids.max`)?.trim();
      const current = root.readSmall(`${base}/pids.current`)?.trim();
      if (max === 'max' || (max !== undefined && /^\d{1,20}$/.test(max))) {
        d.unitPidsMax = max === 'max' ? null : Number(max);
        d.evidence.push({ source: `${base}/pids.max`, text: `${max} (${p.comm}'s cgroup)` });
      } else if (max !== undefined) {
        root.note(
          `${base}/pids.max`,
          `${base}/pids.max: "${max.slice(0, 40)}" is not a limit; ${p.comm}'s unit limit is unknown.`,
        );
      }
      if (current !== undefined && /^\d{1,20}$/.test(current)) d.unitPidsCurrent = Number(current);
    }
    out.push(d);
  }
  return out;
}
