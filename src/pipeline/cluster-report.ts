// Assembles the Report of a cluster scan, live or from a bundle: incidents in a stable order (the
// pool finishes them in any order), node snapshots joined per node, correlation findings, and one
// warning per problem. The live scan and `analyze BUNDLE` both end here, so they print the same thing.
import { join } from 'node:path';
import type { Incident, NodeFacts, Report } from '../evidence/types.js';
import { correlate } from '../diagnose/correlate.js';
import { HostRoot } from '../sources/host/root.js';
import { readNodeFacts } from '../sources/host/node-facts.js';
import type { ClusterEvidence } from '../sources/cluster/gather.js';
import { isDnsSubdomain, podView } from '../sources/cluster/wire.js';
import { neutral } from '../sources/cluster/retry.js';

/** Reads one snapshot per node name under dir (dir/<node>/...), for the nodes that had a crash. */
export async function readNodeEvidence(
  dir: string,
  ev: Pick<ClusterEvidence, 'containers' | 'pods'>,
  warnings: string[],
): Promise<Map<string, NodeFacts>> {
  const out = new Map<string, NodeFacts>();
  const uidsByNode = new Map<string, string[]>();
  for (const pod of ev.pods) {
    const p = podView(pod);
    const node = p?.spec?.nodeName;
    if (node && p.metadata.uid) uidsByNode.set(node, [...(uidsByNode.get(node) ?? []), p.metadata.uid]);
  }
  const nodes = [...new Set(ev.containers.map((c) => c.node).filter((n): n is string => !!n))];
  let named = 0;
  for (const node of nodes) {
    // The name comes from an API server or a bundle: one that is not a node name could climb out of dir.
    if (!isDnsSubdomain(node)) {
      warnings.push(
        `node name "${neutral(node).slice(0, 100)}" is not a DNS-1123 subdomain, so no snapshot under ${dir} is read for it.`,
      );
      continue;
    }
    named++;
    const root = join(dir, node);
    if (!new HostRoot(root).usable) continue; // no snapshot for this node: the API facts stand alone
    try {
      const facts = await readNodeFacts(root, { podUids: uidsByNode.get(node) ?? [] });
      for (const u of facts.unreadable) warnings.push(`node ${node}: ${u}`);
      out.set(node, facts);
    } catch (err) {
      warnings.push(
        `node ${node}: the snapshot under ${root} could not be read (${err instanceof Error ? err.message : String(err)}).`,
      );
    }
  }
  if (out.size === 0 && named > 0)
    warnings.push(`${dir}: no snapshot folder matched a node with a crash (expected ${dir}/<node name>/).`);
  return out;
}

export function assembleReport(
  ev: ClusterEvidence,
  incidents: Incident[],
  warnings: string[],
  nodeEvidence?: Map<string, NodeFacts>,
): Report {
  const sorted = [...incidents].sort((a, b) =>
    `${a.subject.namespace}/${a.subject.pod}/${a.subject.container}`.localeCompare(
      `${b.subject.namespace}/${b.subject.pod}/${b.subject.container}`,
    ),
  );
  const crashedPods = new Set(ev.containers.map((c) => `${c.namespace}/${c.pod}`));
  const notReady: { pod: string; node: string }[] = [];
  for (const pod of ev.pods) {
    const p = podView(pod);
    if (!p?.spec?.nodeName) continue;
    const key = `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (!crashedPods.has(key) && ready === 'False') notReady.push({ pod: key, node: p.spec.nodeName });
  }
  // The pool meets refusals in any order; the report must not depend on it (findings, warnings).
  const problems = [...ev.problems].sort((a, b) =>
    `${a.kind}\u0000${a.object}\u0000${a.sentence}`.localeCompare(
      `${b.kind}\u0000${b.object}\u0000${b.sentence}`,
    ),
  );
  const findings = correlate({
    incidents: sorted,
    notReady,
    problems,
    ...(nodeEvidence ? { nodeEvidence } : {}),
  });
  const problemWarnings = [...new Set(problems.filter((p) => p.kind !== 'no-log').map((p) => p.sentence))];
  return {
    schemaVersion: 1,
    incidents: sorted,
    findings,
    warnings: [...problemWarnings, ...warnings],
  };
}
