// The runtime daemons and the kubelet: containers inherit their rlimits from the daemon that starts
// them (limits.md §2.2-2.3: systemd unit LimitNPROC/LimitNOFILE -> dockerd/containerd -> shim ->
// runc -> the container), and a daemon unit's TasksMax is a pids cgroup that every shim and exec
// shares (limits.md §4.2, "pids cgroup (daemon unit)"). Found by process name in the process table.
import type { Evidence } from '../../evidence/types.js';
import { parseLimits, type Rlimit } from './proc-status.js';
import type { ProcTable } from './proc-table.js';
import { readFileSync } from 'node:fs';

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return undefined;
  }
}

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

/**
 * Reads /proc/<pid>/limits of each daemon found (one per name: the oldest, i.e. lowest PID), and the
 * pids.max/current of its cgroup in the pids hierarchy (real path under the root, and host path) when given.
 */
export function readDaemons(
  procDir: string,
  table: ProcTable,
  pids?: { real: string; host: string },
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
    try {
      const rows = parseLimits(readFileSync(`${procDir}/${p.pid}/limits`, 'latin1'));
      const nproc = rows.get('Max processes');
      const nofile = rows.get('Max open files');
      if (nproc) {
        d.nproc = nproc;
        d.evidence.push({ source: `/proc/${p.pid}/limits (${p.comm})`, line: nproc.line, text: nproc.text });
      }
      if (nofile) {
        d.nofile = nofile;
        d.evidence.push({
          source: `/proc/${p.pid}/limits (${p.comm})`,
          line: nofile.line,
          text: nofile.text,
        });
      }
    } catch {
      // gone or unreadable: the daemon is still listed, without its limits
    }
    if (pids !== undefined && p.pidsCgroup && p.pidsCgroup !== '/' && !p.pidsCgroup.includes('..')) {
      const max = readTrim(`${pids.real}${p.pidsCgroup}/pids.max`);
      const current = readTrim(`${pids.real}${p.pidsCgroup}/pids.current`);
      if (max !== undefined) {
        d.unitPidsMax = /^\d{1,20}$/.test(max) ? Number(max) : null;
        d.evidence.push({
          source: `${pids.host}${p.pidsCgroup}/pids.max`,
          text: `${max} (${p.comm}'s cgroup)`,
        });
      }
      if (current !== undefined && /^\d{1,20}$/.test(current)) d.unitPidsCurrent = Number(current);
    }
    out.push(d);
  }
  return out;
}
