// Correlation: the step from "37 containers crashed" to "2 things went wrong". Replicas of one owner
// that crashed the same way are one finding. Incidents on one node within one window are grouped and
// the likely root is named: a crash of the node's network agent (calico-node, cilium, flannel...:
// while it restarts every pod of the node loses its network, so their probes fail and look like
// separate problems, as in the seed incident) or a cause whose scope is the node's (pid_max,
// threads-max, file-max, node memory) or a UID's, counted node-wide (nproc, inotify); the rest of the node's incidents and not-ready pods are
// its blast radius. When a node snapshot says who holds most of that resource, the finding names it.
// What the scan could not read is a finding too, grouped by the missing RBAC rule.
import type { Evidence, Finding, Incident, NodeFacts } from '../evidence/types.js';
import { ruleText, ruleYaml, type Problem } from '../evidence/problem.js';
import { sharedByNode } from '../knowledge/causes/index.js';

/** Pod network agents: their crash takes the network of every pod on the node with it. */
const NETWORK_AGENT =
  /^(calico-node|cilium|cilium-agent|kube-flannel|flannel|weave|weave-net|canal|aws-node|antrea-agent|kube-router|kube-ovn-cni|ovnkube-node)$/;
const STRONG = new Set(['confirmed', 'likely']);

export interface CorrelationInput {
  incidents: Incident[];
  /** Running pods whose Ready condition is False: "namespace/pod" by node. */
  notReady: { pod: string; node: string }[];
  problems: Problem[];
  /** Node snapshots by node name (--node-evidence). */
  nodeEvidence?: Map<string, NodeFacts>;
  /** Incidents this close in time to the root belong to its window. */
  windowMs?: number;
}

export function correlate(input: CorrelationInput): Finding[] {
  return [...replicaFindings(input.incidents), ...nodeFindings(input), ...missingEvidence(input)];
}

/** Signatures that describe the restart rather than the crash do not tell two crashes apart. */
const BOOKKEEPING = new Set(['k8s.restart-count', 'k8s.back-off']);

function shape(i: Incident): string {
  const sigs = i.signatures
    .map((s) => s.id)
    .filter((id) => !BOOKKEEPING.has(id))
    .sort();
  return sigs.length > 0 ? sigs.join('+') : `${i.subject.reason ?? 'exit'} ${i.subject.exitCode ?? '?'}`;
}

function who(i: Incident): string {
  return `${i.subject.namespace}/${i.subject.pod}`;
}

function replicaFindings(incidents: Incident[]): Finding[] {
  const groups = new Map<string, number[]>();
  incidents.forEach((i, idx) => {
    if (!i.subject.owner) return;
    const key = `${i.subject.owner}\u0000${i.subject.container}\u0000${shape(i)}`;
    groups.set(key, [...(groups.get(key) ?? []), idx]);
  });
  const out: Finding[] = [];
  for (const [key, idx] of groups) {
    if (idx.length < 2) continue;
    const [owner, container, sig] = key.split('\u0000') as [string, string, string];
    const first = incidents[idx[0]!]!;
    const top = first.causes[0];
    out.push({
      kind: 'replicas',
      summary: `${idx.length} replicas of ${owner} (container ${container}) crashed the same way (${sig})${top ? `; most likely cause ${top.id} (${top.verdict})` : ''}: one problem, not ${idx.length}.`,
      incidents: idx,
      evidence: idx.map((n) => ({
        source: who(incidents[n]!),
        text: `${incidents[n]!.subject.reason ?? ''} exit ${incidents[n]!.subject.exitCode ?? '?'}`.trim(),
      })),
      next: [
        `Fix it once in the ${owner.split(' ')[0]}'s pod template; the ${idx.length} replicas share it.`,
      ],
    });
  }
  return out;
}

function rootReason(i: Incident): { why: string; cause?: string; agent: boolean } | undefined {
  const names = [
    i.subject.container,
    i.subject.pod?.replace(/-[a-z0-9]{5}$/, ''),
    i.subject.owner?.split('/').pop(),
  ];
  const agent = names.some((n) => n && NETWORK_AGENT.test(n));
  const top = i.causes.find((c) => STRONG.has(c.verdict) && sharedByNode(c.id));
  const limit = top
    ? `a node-level limit (${top.id}, ${top.verdict}) was reached, and every process on the node competes for it`
    : '';
  if (agent) {
    const why = `the node's pod network agent (${i.subject.container}) crashed; while it restarts, pods on this node lose their network and fail their probes`;
    return {
      why: top ? `${why}; it crashed because ${limit}` : why,
      agent,
      ...(top ? { cause: top.id } : {}),
    };
  }
  if (top) return { why: limit, cause: top.id, agent };
  return undefined;
}

function nodeFindings(input: CorrelationInput): Finding[] {
  const windowMs = input.windowMs ?? 30 * 60_000;
  const byNode = new Map<string, number[]>();
  input.incidents.forEach((i, idx) => {
    if (i.subject.node) byNode.set(i.subject.node, [...(byNode.get(i.subject.node) ?? []), idx]);
  });
  const out: Finding[] = [];
  for (const [node, idx] of byNode) {
    const roots = idx.map((n) => ({ n, r: rootReason(input.incidents[n]!) })).filter((x) => x.r);
    // A network agent outranks a resource cause: its crash explains the others' probe failures.
    roots.sort((a, b) => Number(b.r!.agent) - Number(a.r!.agent));
    const rootEntry = roots[0];
    const t = (n: number) => Date.parse(input.incidents[n]!.subject.finishedAt ?? '');
    const inWindow = (n: number) =>
      !rootEntry ||
      !Number.isFinite(t(n)) ||
      !Number.isFinite(t(rootEntry.n)) ||
      Math.abs(t(n) - t(rootEntry.n)) <= windowMs;
    const members = idx.filter(inWindow);
    const notReady = input.notReady.filter(
      (p) => p.node === node && !members.some((n) => who(input.incidents[n]!) === p.pod),
    );
    if (!rootEntry) {
      // Replicas of one owner on one node are already one finding; a node group adds nothing.
      if (members.length < 2 || new Set(members.map((n) => input.incidents[n]!.subject.owner ?? n)).size < 2)
        continue;
      out.push({
        kind: 'node',
        node,
        summary: `${members.length} containers crashed on node ${node} in one window; no common root cause was recognized among them.`,
        incidents: members,
        evidence: members.map((n) => ({
          source: who(input.incidents[n]!),
          text: input.incidents[n]!.subject.finishedAt ?? 'time unknown',
        })),
        next: [
          `podmortem node on ${node} (or --node-evidence with its snapshot) to see the node's limits and kernel log.`,
        ],
      });
      continue;
    }
    const root = input.incidents[rootEntry.n]!;
    const blast = [
      ...members
        .filter((n) => n !== rootEntry.n)
        .map((n) => ({
          pod: who(input.incidents[n]!),
          why: `crashed (${input.incidents[n]!.subject.reason ?? 'exit'} ${input.incidents[n]!.subject.exitCode ?? '?'}) in the same window`,
        })),
      ...notReady.map((p) => ({ pod: p.pod, why: 'running but not Ready on the same node' })),
    ];
    if (blast.length === 0 && !rootEntry.r!.cause) continue;
    const finding: Finding = {
      kind: 'node',
      node,
      root: rootEntry.n,
      summary: `On node ${node}, the likely root incident is ${who(root)}: ${rootEntry.r!.why}.${blast.length > 0 ? ` ${blast.length} other pod(s) on the node are its blast radius.` : ''}`,
      incidents: members,
      blastRadius: blast,
      // The crash line from the log proves more than the pod status lines, which every incident has.
      evidence: [
        ...[...root.signatures]
          .sort((a, b) => Number(a.id.startsWith('k8s.')) - Number(b.id.startsWith('k8s.')))
          .slice(0, 1)
          .flatMap((s) => s.evidence.slice(0, 1)),
        { source: who(root), text: `terminated ${root.subject.finishedAt ?? '(time unknown)'}` },
      ],
      next: [`Fix ${who(root)} first; the blast radius should recover without changes of its own.`],
    };
    const cause =
      rootEntry.r!.cause ?? root.causes.find((c) => STRONG.has(c.verdict) && sharedByNode(c.id))?.id;
    if (cause) {
      const facts = input.nodeEvidence?.get(node);
      const limit = facts?.limits.find((l) => l.id === cause && l.topConsumers && l.topConsumers.length > 0);
      const topC = limit?.topConsumers?.[0];
      if (topC) {
        finding.topConsumer = { name: topC.name, used: topC.used, limit: `${cause} ${limit!.scope}` };
        finding.summary += ` ${topC.name} holds the most of ${cause} (${topC.used} of ${limit!.max ?? 'unlimited'}).`;
        finding.evidence.push(...limit!.evidence.slice(0, 2));
      } else {
        finding.next.push(
          `Run podmortem node on ${node} (on a live node it counts who holds each resource) to name the workload holding most of ${cause}.`,
        );
      }
    }
    out.push(finding);
  }
  return out;
}

function missingEvidence(input: CorrelationInput): Finding[] {
  const groups = new Map<string, Problem[]>();
  for (const p of input.problems) {
    if (p.kind === 'no-log') continue; // a container that never wrote a previous log is not a permission problem
    // A malformed object is its own finding: another pod's bad field is not "the same refusal".
    const key = p.kind === 'malformed' ? `malformed\u0000${p.object}` : `${p.kind}\u0000${ruleText(p.rule)}`;
    const list = groups.get(key) ?? [];
    if (!list.some((x) => x.object === p.object)) list.push(p);
    groups.set(key, list);
  }
  const out: Finding[] = [];
  for (const list of groups.values()) {
    const p = list[0]!;
    const objects = list.map((x) => x.object);
    const idx = input.incidents
      .map((i, n) => ({ i, n }))
      .filter(({ i }) =>
        objects.some(
          (o) =>
            o === `${i.subject.namespace}/${i.subject.pod}/${i.subject.container}` ||
            o === who(i) ||
            o === `node ${i.subject.node}`,
        ),
      )
      .map(({ n }) => n);
    const evidence: Evidence[] = p.server ? [{ source: 'API server', text: p.server }] : [];
    out.push({
      kind: 'missing-evidence',
      summary: `Missing evidence: ${p.sentence}${objects.length > 1 ? ` The same refusal hit ${objects.length} requests (${objects.slice(0, 5).join(', ')}${objects.length > 5 ? ', ...' : ''}).` : ''}`,
      incidents: idx,
      evidence,
      next:
        p.kind === 'forbidden'
          ? [
              `Grant ${ruleYaml(p.rule)}${p.rule.namespace ? ` in namespace "${p.rule.namespace}"` : ''} to the scanning identity (deploy/rbac.yaml has the full least-privilege role), then scan again.`,
            ]
          : [],
    });
  }
  return out;
}
