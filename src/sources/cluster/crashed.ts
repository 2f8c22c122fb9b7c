// Which containers a scan looks at: those that restarted, that are in CrashLoopBackOff, or whose
// last run terminated with a non-zero exit code; with --since, only those whose last termination
// falls in the window (a container in CrashLoopBackOff right now always counts).
import { podView, type ContainerStatusView, type PodView } from './wire.js';

export interface CrashedContainer {
  namespace: string;
  pod: string;
  container: string;
  node?: string;
  /** Why the scan picked it, in words: "21 restarts", "CrashLoopBackOff", "terminated with exit 1". */
  why: string;
  /** lastState (or state) terminated.finishedAt, RFC 3339. */
  finishedAt?: string;
  /** true: read the previous instance's log; false: the container is terminated, its own log is the one. */
  previous: boolean;
}

export function crashedContainers(
  pod: unknown,
  opts: { sinceMs?: number; now?: number } = {},
): CrashedContainer[] {
  const p: PodView | undefined = podView(pod);
  if (!p) return [];
  const statuses = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])];
  const out: CrashedContainer[] = [];
  for (const s of statuses) {
    const c = judge(s);
    if (!c) continue;
    if (opts.sinceMs !== undefined && !c.crashLooping) {
      const t = c.finishedAt ? Date.parse(c.finishedAt) : NaN;
      if (!(t >= (opts.now ?? Date.now()) - opts.sinceMs)) continue;
    }
    out.push({
      namespace: p.metadata.namespace ?? 'default',
      pod: p.metadata.name,
      container: s.name,
      ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
      why: c.why,
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      previous: c.previous,
    });
  }
  return out;
}

function judge(
  s: ContainerStatusView,
): { why: string; finishedAt?: string; previous: boolean; crashLooping: boolean } | undefined {
  const waiting = s.state?.waiting?.reason;
  const crashLooping = waiting === 'CrashLoopBackOff';
  const last = s.lastState?.terminated;
  const now = s.state?.terminated;
  // The kubelet fills lastState only when a container restarted: with restartCount missing or
  // unreadable (a trimmed or malformed object), a last termination still says it restarted.
  const unknownCount = s.restartCount === undefined && last !== undefined;
  const restarts = s.restartCount ?? (unknownCount ? 1 : 0);
  const failedNow = now !== undefined && (now.exitCode ?? 0) !== 0;
  if (restarts === 0 && !crashLooping && !failedNow) return undefined;
  const why = [
    unknownCount ? 'restarted (restart count unreadable)' : '',
    !unknownCount && restarts > 0 ? `${restarts} restart${restarts === 1 ? '' : 's'}` : '',
    crashLooping ? 'CrashLoopBackOff' : '',
    failedNow ? `terminated with exit ${now.exitCode}` : '',
  ].filter(Boolean);
  const finishedAt = (failedNow ? now.finishedAt : undefined) ?? last?.finishedAt;
  // A container terminated right now (restartPolicy Never/OnFailure) has its own log; otherwise the previous one.
  const previous = !failedNow && (restarts > 0 || last !== undefined);
  return { why: why.join(', '), ...(finishedAt ? { finishedAt } : {}), previous, crashLooping };
}
