// One crashed container -> one Incident, with the same pipeline as `analyze`: its previous log goes
// through scanStream + the Recognizer, the API facts through the same Recognizer as describe lines,
// the pod spec through podContainerFacts, the node object (and a node snapshot when one was given)
// into NodeFacts, and the engine weighs the causes. Used by the live scan and by a bundle read back
// offline, which is why both give the same diagnosis.
import type { Readable } from 'node:stream';
import type { Evidence, Incident, NodeFacts, ProcessFacts, Subject } from '../evidence/types.js';
import { diagnose } from '../diagnose/engine.js';
import { notesFor } from '../diagnose/notes.js';
import { Recognizer } from '../diagnose/recognize.js';
import { prefilterFor } from './prefilter.js';
import { SIGNATURES } from '../knowledge/signatures/index.js';
import { scanStream } from '../sources/logs/scanner.js';
import { describeLines } from '../sources/cluster/describe.js';
import type { ContainerContext } from '../sources/cluster/gather.js';
import { podContainerFacts, PodSchema } from '../sources/cluster/pod-facts.js';
import {
  controllerOf,
  NodeView,
  parseQuantity,
  PodStatusView,
  type WireObject,
} from '../sources/cluster/wire.js';

const prefilter = prefilterFor(SIGNATURES);

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
  const rec = new Recognizer(SIGNATURES);
  for (const line of describeLines(ctx.pod, c.container, ctx.events)) rec.add(line);
  let tail: Evidence[] | undefined;
  if (log) {
    try {
      const stats = await scanStream(log.stream, log.name, prefilter, (line) => rec.add(line));
      tail = stats.tail.map((l) => ({ source: l.source, line: l.line, text: l.text }));
      if (stats.binary)
        warnings.push(`${log.name}: looks like binary data rather than a log; scanned it anyway.`);
    } catch (err) {
      warnings.push(
        `${log.name}: the log stream broke off (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); what arrived was scanned.`,
      );
    }
  }
  const source = `pod ${c.namespace}/${c.pod}`;
  const parsed = PodSchema.safeParse(ctx.pod);
  const fromPod = parsed.success ? podContainerFacts(parsed.data, source, c.container) : undefined;
  const subject: Subject = {
    ...rec.subject,
    ...fromPod?.subject,
    namespace: c.namespace,
    pod: c.pod,
    container: c.container,
    source: log?.name ?? source,
  };
  if (c.finishedAt) subject.finishedAt = c.finishedAt;
  const owner = ownerName(ctx);
  if (owner) subject.owner = owner;
  const process: ProcessFacts = { ...fromPod?.process };
  const mem = memoryLimit(ctx.pod, c.container);
  if (mem)
    process.memoryLimit = {
      value: mem.bytes,
      evidence: {
        source: `${source} (containers[${c.container}].resources.limits.memory)`,
        text: `memory: ${mem.text}`,
      },
    };

  const node = nodeFacts(ctx.node, nodeEvidence);
  const signatures = rec.result();
  const causes = diagnose({ incident: { subject, signatures }, process, ...(node ? { node } : {}) });
  const notes = [
    ...(fromPod?.notes ?? []),
    ...notesFor({ causes, node }),
    ...nodeNotes(ctx.node),
    ...ctx.problems.map((p) => p.sentence),
  ];
  notes.unshift(`Picked by the scan: ${c.why}${c.finishedAt ? `, last terminated ${c.finishedAt}` : ''}.`);
  const incident: Incident = {
    subject,
    signatures,
    causes,
    notes,
    ...(tail && tail.length > 0 ? { tail } : {}),
  };
  return { incident, warnings };
}

/** "Deployment shop/checkout": the top of the controller chain that was read, else the pod's controller reference. */
export function ownerName(ctx: Pick<ContainerContext, 'owners' | 'pod' | 'crashed'>): string | undefined {
  const top = ctx.owners[ctx.owners.length - 1];
  if (top?.kind && top.metadata?.name) return `${top.kind} ${ctx.crashed.namespace}/${top.metadata.name}`;
  const ref = controllerOf(ctx.pod);
  return ref ? `${ref.kind} ${ctx.crashed.namespace}/${ref.name}` : undefined;
}

function memoryLimit(pod: WireObject, container: string): { bytes: number; text: string } | undefined {
  const p = PodStatusView.safeParse(pod);
  if (!p.success) return undefined;
  const c = [...(p.data.spec?.containers ?? []), ...(p.data.spec?.initContainers ?? [])].find(
    (x) => x.name === container,
  );
  const text = c?.resources?.limits?.memory;
  const bytes = text ? parseQuantity(text) : undefined;
  return text && bytes !== undefined ? { bytes, text } : undefined;
}

/** NodeFacts from a node snapshot when given, with the API's kernel, OS and runtime filling what it lacks. */
export function nodeFacts(
  nodeObj: WireObject | undefined,
  snapshot: NodeFacts | undefined,
): NodeFacts | undefined {
  const n = nodeObj ? NodeView.safeParse(nodeObj) : undefined;
  const info = n?.success ? n.data.status?.nodeInfo : undefined;
  if (!snapshot && !info) return undefined;
  const facts: NodeFacts = snapshot
    ? { ...snapshot }
    : { root: `node ${n?.success ? n.data.metadata.name : '?'} (API)`, limits: [], unreadable: [] };
  const src = `node ${n?.success ? n.data.metadata.name : '?'} (status.nodeInfo)`;
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
  const n = nodeObj ? NodeView.safeParse(nodeObj) : undefined;
  if (!n?.success) return [];
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
