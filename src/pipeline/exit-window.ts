// The kernel lines of one exit: those written from 30 s before it to 2 s after (the kernel logs an
// OOM kill or a refused fork before the process dies; the margin after covers the clocks), that are
// about the crashed container or about the whole node. Each says whose it is: the pod's lines are
// the crashed instance's (`of: 'crashed'`); a global OOM kill, a file-max warning, or a limit hit in
// a cgroup above the container (the pod level excluded: /kubepods, a QoS slice) are the node's
// (`of: 'node'`). Another pod's lines and anything outside the window are left out, so an OOM kill
// of an earlier instance of the same pod no longer argues about this one.
import type { KernelLine } from '../evidence/types.js';

export const WINDOW_BEFORE_MS = 30_000;
export const WINDOW_AFTER_MS = 2_000;

/** "oom-kill:...,pid=1234,..." and "Killed process 1234 (app)": the victim's pid ties the two lines. */
const SUMMARY_PID = /[,:]pid=(\d{1,10})/;
const KILLED_PID = /Kill(?:ed)? process (\d{1,10})/;

export function exitWindowLines(
  lines: KernelLine[],
  exitMs: number,
  podUid: string,
  /** The container's cgroup paths (pids, memory), to tell a limit above it from another pod's. */
  cgroupPaths: string[],
): KernelLine[] {
  const from = exitMs - WINDOW_BEFORE_MS;
  const to = exitMs + WINDOW_AFTER_MS;
  const inWindow = lines.filter((l) => l.at !== undefined && l.at >= from && l.at <= to);
  const underscored = podUid.replace(/-/g, '_');
  const ofPod = (c: string | undefined) => c !== undefined && (c.includes(podUid) || c.includes(underscored));
  const podPids = new Set<string>();
  for (const l of inWindow)
    if (ofPod(l.cgroup)) {
      const pid = SUMMARY_PID.exec(l.evidence.text)?.[1];
      if (pid) podPids.add(pid);
    }
  const out: KernelLine[] = [];
  for (const l of inWindow) {
    const killed = l.cgroup === undefined ? KILLED_PID.exec(l.evidence.text)?.[1] : undefined;
    const whose =
      ofPod(l.cgroup) || (killed !== undefined && podPids.has(killed))
        ? 'crashed'
        : nodeWide(l, cgroupPaths)
          ? 'node'
          : undefined;
    if (whose) out.push({ ...l, evidence: { ...l.evidence, of: whose } });
  }
  return out;
}

function nodeWide(l: KernelLine, cgroupPaths: string[]): boolean {
  if (l.kind === 'global-oom' || l.kind === 'file-max') return true;
  const c = l.cgroup;
  if (c === undefined) return false;
  if (c === '/') return true;
  return cgroupPaths.some((p) => p.startsWith(`${c.replace(/\/+$/, '')}/`));
}
