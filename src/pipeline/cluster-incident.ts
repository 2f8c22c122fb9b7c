// One crashed container of the cluster -> one Incident through diagnoseContainer, like every other
// command: its previous log is the crash output, the API objects become describe lines (records),
// the pod spec gives the process facts, the node object (and a node snapshot when one was given)
// the NodeFacts. Used by the live scan and by a bundle read back
// offline, which is why both give the same diagnosis.
import type { Readable } from 'node:stream';
import type { Incident, NodeFacts, ProcessFacts, Report } from '../evidence/types.js';
import type { ClusterEvidence, LogSink } from '../sources/cluster/gather.js';
import { assembleReport, readNodeEvidence } from './cluster-report.js';
import { diagnoseContainer } from './container.js';
import { describeLines } from '../sources/cluster/describe.js';
import { tolerantParse } from '../sources/cluster/tolerant.js';
import type { ContainerContext } from '../sources/cluster/gather.js';
import { podContainerFacts, podSpec } from '../sources/cluster/pod-facts.js';
import { controllerOf, NodeView, type WireObject } from '../sources/cluster/wire.js';

export interface ContainerLogInput {
  /** Name shown in evidence, e.g. "kube-system/calico-node-56bgm/calico-node (previous log)". */
  name: string;
  stream: Readable;
}

export async function containerIncident(
  ctx: ContainerContext,
  log: ContainerLogInput | undefined,
  nodeEvidence?: NodeFacts,
): Promise<{ incident: Incident; warnings: string[] }> {
  const warnings: string[] = [];
  const { crashed: c } = ctx;
  const source = `pod ${c.namespace}/${c.pod}`;
  const spec = podSpec(ctx.pod);
  const fromPod = spec ? podContainerFacts(spec, source, c.container) : undefined;
  const owner = ownerName(ctx);
  // The pod spec gives the user, privileges, memory limit, image and runtime flags.
  const process: ProcessFacts = { ...fromPod?.process };
  const node = nodeFacts(ctx.node, nodeEvidence);
  const d = await diagnoseContainer({
    identity: { namespace: c.namespace, pod: c.pod, container: c.container, ...(owner ? { owner } : {}) },
    // The API's record of the container (status, lastState) beats what its log says.
    recorded: {
      ...fromPod?.subject,
      namespace: c.namespace,
      pod: c.pod,
      container: c.container,
      source: log?.name ?? source,
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
    },
    logs: log ? [{ name: log.name, open: () => log.stream }] : [],
    records: describeLines(ctx.pod, c.container, ctx.events),
    process,
    ...(node ? { node } : {}),
    notes: [
      `The API shows ${c.why}${c.finishedAt ? `, last terminated ${c.finishedAt}` : ''}.`,
      ...(fromPod?.notes ?? []),
    ],
    crashed: true,
  });
  for (const l of d.logs) {
    if (l.error !== undefined)
      warnings.push(
        `${l.name}: the log stream broke off (${l.error instanceof Error ? l.error.message.split('\n')[0] : String(l.error)}); what arrived was scanned.`,
      );
    else if (l.stats?.binary)
      warnings.push(`${l.name}: looks like binary data rather than a log; scanned it anyway.`);
  }
  const incident = d.incident!;
  incident.notes.push(...nodeNotes(ctx.node), ...ctx.problems.map((p) => p.sentence));
  return { incident, warnings };
}

/** "Deployment shop/checkout": the top of the controller chain that was read, else the pod's controller reference. */
export function ownerName(ctx: Pick<ContainerContext, 'owners' | 'pod' | 'crashed'>): string | undefined {
  const top = ctx.owners[ctx.owners.length - 1];
  if (top?.kind && top.metadata?.name) return `${top.kind} ${ctx.crashed.namespace}/${top.metadata.name}`;
  const ref = controllerOf(ctx.pod);
  return ref ? `${ref.kind} ${ctx.crashed.namespace}/${ref.name}` : undefined;
}

/** NodeFacts from a node snapshot when given, with the API's kernel, OS and runtime filling what it lacks. */
export function nodeFacts(
  nodeObj: WireObject | undefined,
  snapshot: NodeFacts | undefined,
): NodeFacts | undefined {
  const n = nodeObj ? tolerantParse(NodeView, nodeObj).data : undefined;
  const info = n?.status?.nodeInfo;
  if (!snapshot && !info) return undefined;
  const facts: NodeFacts = snapshot
    ? { ...snapshot }
    : { root: `node ${n?.metadata.name ?? '?'} (API)`, limits: [], unreadable: [] };
  const src = `node ${n?.metadata.name ?? '?'} (status.nodeInfo)`;
  if (info?.kernelVersion && !facts.kernelRelease)
    facts.kernelRelease = {
      value: info.kernelVersion,
      evidence: { source: src, text: `kernelVersion: ${info.kernelVersion}` },
    };
  if (info?.osImage && !facts.os)
    facts.os = { prettyName: info.osImage, evidence: { source: src, text: `osImage: ${info.osImage}` } };
  if (info?.containerRuntimeVersion && !facts.runtime) {
    const rt = info.containerRuntimeVersion.split('://')[0]!;
    facts.runtime = {
      value: rt,
      evidence: { source: src, text: `containerRuntimeVersion: ${info.containerRuntimeVersion}` },
    };
  }
  return facts;
}

/** Node conditions that matter to a crash (PIDPressure, MemoryPressure) as notes. */
function nodeNotes(nodeObj: WireObject | undefined): string[] {
  const node = nodeObj ? tolerantParse(NodeView, nodeObj).data : undefined;
  if (!node) return [];
  const n = { data: node };
  const out: string[] = [];
  for (const c of n.data.status?.conditions ?? []) {
    if (['PIDPressure', 'MemoryPressure', 'DiskPressure'].includes(c.type) && c.status === 'True') {
      out.push(
        `Node ${n.data.metadata.name} reports ${c.type}=True (${c.reason ?? ''}: ${c.message ?? ''}).`,
      );
    }
    if (c.type === 'Ready' && c.status !== 'True')
      out.push(`Node ${n.data.metadata.name} is not Ready (${c.reason ?? c.status}).`);
  }
  return out;
}

/**
 * What `scan` and `pod` both do with a cluster walk: each crashed container is diagnosed as its log
 * streams in (with the node snapshot of its node, when --node-evidence gave one), the snapshots are
 * read once the walk knows the nodes, and one report is assembled at the end.
 */
export function clusterDiagnosis(nodeEvidenceDir: string | undefined): {
  sink: LogSink;
  beforeContainers: (ev: Pick<ClusterEvidence, 'containers' | 'pods'>) => Promise<void>;
  report: (evidence: ClusterEvidence) => Report;
} {
  const incidents: Incident[] = [];
  const warnings: string[] = [];
  let nodeEvidence: Map<string, NodeFacts> | undefined;
  return {
    sink: async (ctx, log) => {
      const c = ctx.crashed;
      const name = `${c.namespace}/${c.pod}/${c.container} (${c.previous ? 'previous' : 'last'} log)`;
      const snapshot = c.node ? nodeEvidence?.get(c.node) : undefined;
      const { incident, warnings: w } = await containerIncident(
        ctx,
        log ? { name, stream: log } : undefined,
        snapshot,
      );
      incidents.push(incident);
      warnings.push(...w);
    },
    beforeContainers: async (ev) => {
      if (nodeEvidenceDir !== undefined) nodeEvidence = await readNodeEvidence(nodeEvidenceDir, ev, warnings);
    },
    report: (evidence) => assembleReport(evidence, incidents, warnings, nodeEvidence),
  };
}
