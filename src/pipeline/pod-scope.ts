// What of a node's evidence belongs to one pod: its own cgroup chains, and the kernel lines that
// name its cgroups (those are crash output too, the kernel's rather than the container's), plus the
// node-wide kernel lines (a global OOM kill, file-max) that can hit any pod. `node` and `analyze
// --node-root` both give a container this view, so the same snapshot gives the same verdicts.
import type { CgroupLevel, KernelLine, LogLine, NodeFacts } from '../evidence/types.js';
import { linesForPod } from '../sources/host/kernel-log.js';

export interface PodScope {
  node: NodeFacts;
  /** The pod's kernel lines as records for the recognizer. */
  records: LogLine[];
}

/**
 * `windowed`: the kernel lines were already chosen for this exit and marked whose they are (the
 * agent's exit window, pipeline/exit-window.ts): kept as they are, the crashed instance's read as
 * its crash output.
 */
export function podScope(
  facts: NodeFacts,
  podUid: string | undefined,
  ownChains: CgroupLevel[] = [],
  windowed = false,
): PodScope {
  if (!podUid) return { node: facts, records: [] };
  const underscored = podUid.replace(/-/g, '_');
  const ofPod = (path: string): boolean => path.includes(podUid) || path.includes(underscored);
  const podLines = windowed
    ? (facts.kernelLines ?? []).filter((l) => l.evidence.of === 'crashed')
    : linesForPod(facts.kernelLines ?? [], podUid);
  const kernelLines: KernelLine[] = windowed
    ? (facts.kernelLines ?? [])
    : [
        ...podLines,
        ...(facts.kernelLines ?? []).filter(
          (l) => !podLines.includes(l) && (l.kind === 'global-oom' || l.kind === 'file-max'),
        ),
      ];
  const seen = new Set<string>();
  const cgroupChains = [...ownChains, ...(facts.cgroupChains ?? []).filter((c) => ofPod(c.path))].filter(
    (c) => {
      const key = `${c.controller}:${c.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
  );
  return {
    node: { ...facts, cgroupChains, kernelLines },
    records: podLines.map((k) => ({
      source: k.evidence.source,
      line: k.evidence.line ?? 0,
      text: k.evidence.text,
      format: 'plain',
      truncated: false,
    })),
  };
}
